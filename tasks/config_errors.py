"""Config mistakes as one sentence: where each one is (file key or variable) and its fix.

`tasks/config.py` reads the settings with pydantic-settings; every section forbids unknown
keys and the dicts keyed by a fixed set (SLA priorities, work-next components) name that
set, so pydantic reports every mistake at once. This module turns its report into one
sentence: each mistake located in the TOML file, a `BACKLOG_*` variable or the command
line, with the nearest valid name (difflib) for a misspelt one.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from tasks.errors import BacklogError

ENV_PREFIX = "BACKLOG_"
# `BACKLOG_*` variables that are not settings (add yours here, or the config rejects it)
NOT_SETTINGS = frozenset({"BACKLOG_CONFIG"})


def read_toml(path: Path | None) -> dict[str, Any]:
    """The config file's tables, or a sentence naming the line and column of a syntax error."""
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's error carries its position only in the message: "... (at line 3, column 7)"
        found = re.search(r"^(.*?)\s*\(at (line \d+, column \d+)\)$", str(exc))
        what, where = (found.group(1), found.group(2)) if found else (str(exc), "")
        raise BacklogError(
            f"Config file {path} is not valid TOML{' at ' + where if where else ''} ({what}); "
            "fix the syntax there (backlog.example.toml shows every key)."
        ) from exc


def unknown_variables(fields: dict[str, Any]) -> dict[str, str]:
    """`BACKLOG_*` variables whose first part names no setting: {lower-case rest: value}.

    pydantic-settings reads only the variables of known fields; these are handed to the
    model as extra keys so that its `extra="forbid"` reports them with the others.
    """
    found = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        rest = upper[len(ENV_PREFIX) :].lower()
        if rest.split("__")[0] not in fields:
            found[rest] = value
    return found


def config_error(
    exc: ValidationError, model: type[BaseModel], file: Path | None, given: dict[str, Any]
) -> BacklogError:
    """Every mistake of `exc` in one sentence; `given` holds the command line's values."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        path = tuple(str(part) for part in loc if part != "[key]")
        source = setting_source(path, file, given)
        problems.append(_problem(error, loc, path, model, source))
    problems = list(dict.fromkeys(problems))
    if len(problems) == 1:
        return BacklogError(
            f"Invalid config: {problems[0]}; fix it or remove it to use the default."
        )
    return BacklogError(
        f"Invalid config ({len(problems)} mistakes): {'; '.join(problems)}; fix them or remove "
        "them to use the defaults."
    )


def _problem(
    error: dict[str, Any], loc: tuple, path: tuple[str, ...], model: type, source: str
) -> str:
    """One mistake: the key or variable, what is wrong, and the nearest valid name."""
    unknown = error["type"] == "extra_forbidden" or (
        error["type"] == "literal_error" and loc[-1] == "[key]"
    )
    if unknown:
        parent = path[:-1]
        names = _names_at(model, parent)
        close = difflib.get_close_matches(path[-1].lower(), names, n=1, cutoff=0.6)
        hint = f" (did you mean {_spell((*parent, close[0]), source)}?)" if close else ""
        if not close:
            hint = (
                f" (the valid ones: {', '.join(names)})"
                if 0 < len(names) <= 8
                else " (backlog.example.toml lists every key)"
            )
        if source.startswith(ENV_PREFIX):
            return f"{source} is not a setting{hint}"
        held = _annotation_at(model, path)
        section = isinstance(held, type) and issubclass(held, BaseModel)
        kind = "section" if section or isinstance(error.get("input"), dict) else "key"
        return f"unknown {kind} {_spell(path, source)} in {source}{hint}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] in ("model_type", "dict_type"):
        # `[sla] high = 30`: pydantic says "a valid dictionary or instance of SlaTarget"
        message = (
            f"it is a section: set its keys ({_spell(path, source)}__<KEY>=<value>)"
            if source.startswith(ENV_PREFIX)
            else f"it should be a [{'.'.join(path)}] section, as backlog.example.toml shows"
        )
    if error["type"] == "literal_error":
        names = [str(name) for name in _literal_values(_annotation_at(model, loc))]
        close = difflib.get_close_matches(str(error.get("input")), names, n=1, cutoff=0.6)
        message += f' (did you mean "{close[0]}"?)' if close else ""
    value = error.get("input")
    shown = f" = {value!r}" if isinstance(value, str | int | float | bool) else ""
    shown = "" if shown and shown[3:] in message else shown
    if source.startswith(ENV_PREFIX):
        return f"{source}{shown}: {message[0].lower()}{message[1:]}"
    return f"{_spell(path, source)}{shown} in {source}: {message[0].lower()}{message[1:]}"


def setting_source(path: tuple[str, ...], file: Path | None, given: dict[str, Any]) -> str:
    """Where the value at `path` came from, in precedence order: flags, variable, file."""
    if path and path[0] in given:
        return "the command line"
    variables = {name.upper(): name for name in os.environ}
    for depth in range(len(path), 0, -1):
        wanted = ENV_PREFIX + "__".join(path[:depth]).upper()
        if wanted in variables:
            return variables[wanted]
        deeper = sorted(name for name in variables if name.startswith(wanted + "__"))
        if deeper and depth == len(path):
            return variables[deeper[0]]
    return str(file) if file is not None else "the defaults"


def _spell(path: tuple[str, ...], source: str) -> str:
    """A setting as the user writes it where it came from: a variable or a dotted key."""
    if source.startswith(ENV_PREFIX):
        parts = source[len(ENV_PREFIX) :].split("__")
        parts[: len(path)] = [part.upper() for part in path]
        return ENV_PREFIX + "__".join(parts)
    return f"`{'.'.join(path)}`"


def _names_at(model: type, path: tuple[str, ...]) -> list[str]:
    """The valid names under `path`: a section's keys or a fixed dict's keys."""
    annotation = _annotation_at(model, path)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    if get_origin(annotation) is dict:
        return [str(value) for value in _literal_values(get_args(annotation)[0])]
    return []


def _annotation_at(model: type, loc: tuple) -> Any:
    """The type a location of the settings holds (through sections, dicts and lists)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            key, value = get_args(current)
            current = key if part == "[key]" else value
        elif get_origin(current) is list:
            current = get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """`X | None` as `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def _literal_values(annotation: Any) -> tuple:
    return get_args(annotation) if get_origin(annotation) is Literal else ()
