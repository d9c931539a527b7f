"""Declarative mappings: any CSV/JSONL helpdesk export -> canonical tickets (and events).

A mapping is a TOML file (every key is documented in `mappings/README.md`): which
files to read, which column holds each canonical field, how timestamps are written,
which values mean "missing", value maps for status, priority, channel and type, and
whether a file is a ticket snapshot (one row per ticket) or an event log (one row per
change of a ticket). An event log yields both canonical tables: a status_change event
per row (rows ordered by the update timestamp, then the sequence column) and a ticket
snapshot per ticket (its latest row). Columns a mapping marks `final` hold a ticket's
final values on every row; they are never read as the state at a row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasks.adapters.base import DayFiles, LoadUnit, SourceRow, glob_files
from tasks.adapters.files import allow_long_fields, decode, parse_csv
from tasks.contract import CANONICAL_COLUMNS, REQUIRED_COLUMNS, TICKETS
from tasks.errors import BacklogError

# The shipped mappings: `mappings/` beside `tasks/`, in the source tree as in the wheel
# (pyproject.toml force-includes it, as it does `sql/`).
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"
# Sources that are a shipped mapping file under mappings/.
BUILTIN_MAPPINGS = {"freshdesk": "freshdesk.toml"}
KINDS = ("snapshot", "event_log")
# the canonical ticket columns, as the contract defines them
REQUIRED = REQUIRED_COLUMNS["tickets"]
TICKET_FIELDS = tuple(CANONICAL_COLUMNS["tickets"])
TIMESTAMP_FIELDS = tuple(column.name for column in TICKETS.columns if column.is_timestamp)
VALUE_MAPS = ("status", "priority", "channel", "type", "satisfaction", "customer_tier")
# status_category: a fallback column read when the status value is not in values.status
EXTRA_FIELDS = ("status_category",)
TOP_KEYS = {
    "name",
    "description",
    "extends",
    "kind",
    "files",
    "format",
    "delimiter",
    "timezone",
    "timestamp_formats",
    "null_markers",
    "list_separator",
    "tag_columns",
    "lenient_timestamps",
    "columns",
    "values",
    "event_log",
}
EVENT_LOG_KEYS = {"sequence", "final_columns", "author_id", "author_role"}


def _fold(name: str) -> str:
    """A column name or value as compared: case, surrounding and repeated spaces ignored."""
    return re.sub(r"\s+", " ", name.strip()).lower()


@dataclass
class Mapping:
    """A loaded mapping file (see mappings/README.md for every key)."""

    path: Path
    name: str
    kind: str
    files: list[str]
    columns: dict[str, list[str]]
    values: dict[str, dict[str, str]]
    fmt: str | None = None
    delimiter: str = ","
    timezone: str = "UTC"
    timestamp_formats: list[str] = field(default_factory=list)
    null_markers: set[str] = field(default_factory=lambda: {""})
    list_separator: str = ";"
    tag_columns: list[str] = field(default_factory=list)
    lenient_timestamps: set[str] = field(default_factory=set)
    sequence: str | None = None
    final_columns: set[str] = field(default_factory=set)
    author_id: str | None = None
    author_role: str | None = None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if not path.is_file():
        raise BacklogError(
            f"Mapping file {path} does not exist; pass --source mapping:<file.toml> with the "
            "path of a mapping (see mappings/README.md)."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BacklogError(f"Mapping file {path} is not valid TOML ({exc}); fix it.") from exc
    base = data.pop("extends", None)
    if base is None:
        return data
    base_path = MAPPINGS_DIR / BUILTIN_MAPPINGS.get(base, f"{base}.toml")
    if not base_path.is_file():
        base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise BacklogError(f"Mapping file {path} extends itself through {base!r}; break the loop.")
    return _merge(_read_toml(base_path, (*seen, path)), data)


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; one clear sentence when it is wrong."""
    data = _read_toml(path)
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise BacklogError(
            f"Mapping file {path} has the unknown key {unknown[0]!r}; known keys are "
            f"{', '.join(sorted(TOP_KEYS))} (see mappings/README.md)."
        )
    kind = data.get("kind", "snapshot")
    if kind not in KINDS:
        raise BacklogError(
            f"Mapping file {path}: kind is {kind!r}; expected snapshot or event_log."
        )
    raw_columns = data.get("columns", {})
    columns = {
        key: [value] if isinstance(value, str) else list(value)
        for key, value in raw_columns.items()
    }
    bad = sorted(set(columns) - set(TICKET_FIELDS) - set(EXTRA_FIELDS))
    if bad:
        raise BacklogError(
            f"Mapping file {path}: [columns] names {bad[0]!r}, which is not a canonical ticket "
            f"field; expected some of {', '.join(TICKET_FIELDS)}."
        )
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        raise BacklogError(
            f"Mapping file {path}: [columns] lacks {', '.join(missing)}; every mapping names "
            f"the source columns of {', '.join(REQUIRED)}."
        )
    if not data.get("files"):
        raise BacklogError(
            f"Mapping file {path} has no files = [...] patterns; name the export's files, "
            'e.g. files = ["incident*.csv"].'
        )
    timezone = data.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BacklogError(
            f"Mapping file {path}: timezone {timezone!r} is not a time zone name; expected "
            "e.g. UTC or Europe/Paris."
        ) from exc
    values = {
        name: {_fold(str(key)): str(target) for key, target in table.items()}
        for name, table in data.get("values", {}).items()
    }
    event_log = data.get("event_log", {})
    unknown = sorted(set(event_log) - EVENT_LOG_KEYS)
    if unknown:
        raise BacklogError(
            f"Mapping file {path}: [event_log] has the unknown key {unknown[0]!r}; known keys "
            f"are {', '.join(sorted(EVENT_LOG_KEYS))}."
        )
    return Mapping(
        path=path,
        name=data.get("name", path.stem),
        kind=kind,
        files=list(data["files"]),
        columns=columns,
        values=values,
        fmt=data.get("format"),
        delimiter=data.get("delimiter", ","),
        timezone=timezone,
        timestamp_formats=list(data.get("timestamp_formats", [])),
        null_markers={_fold(m) for m in data.get("null_markers", [])} | {""},
        list_separator=data.get("list_separator", ";"),
        tag_columns=list(data.get("tag_columns", [])),
        lenient_timestamps=set(data.get("lenient_timestamps", [])),
        sequence=event_log.get("sequence"),
        final_columns={_fold(c) for c in event_log.get("final_columns", [])},
        author_id=event_log.get("author_id"),
        author_role=event_log.get("author_role"),
    )


@dataclass
class _Parsed:
    """One source row: its canonical record, sort keys, and why it is not loadable."""

    line: int | None
    raw: str
    record: dict[str, Any] | None
    problem: str | None
    at: datetime | None = None
    sequence: tuple[int, Any] = (0, 0)
    position: int = 0


class MappingAdapter:
    """`--source mapping:<file.toml>` (and the shipped mappings, e.g. freshdesk)."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.name = mapping.name
        self.zone = ZoneInfo(mapping.timezone)

    def find_files(self, folder: Path) -> DayFiles:
        """The files matching the mapping's patterns."""
        found = glob_files(folder, self.mapping.files)
        if not found:
            raise BacklogError(
                f"{folder} has no file matching {', '.join(self.mapping.files)} "
                f"(mapping {self.mapping.path}); check the folder or the mapping's files."
            )
        return DayFiles(data=tuple(found))

    def entities(self, path: Path) -> tuple[str, ...]:
        """A snapshot yields tickets; an event log tickets and events."""
        del path
        return ("tickets", "events") if self.mapping.kind == "event_log" else ("tickets",)

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        """Every file of the day through the mapping."""
        units: list[LoadUnit] = []
        for path in files.data:
            header, parsed = self._read(path)
            extras = [h for h in header if not self._is_mapped(h)]
            columns = [*TICKET_FIELDS, *dict.fromkeys(extras)]
            expected = f"rows as mapping {self.mapping.path.name} describes"
            if self.mapping.kind == "snapshot":
                rows = [SourceRow(p.raw, p.record, p.problem, p.line) for p in parsed]
                units.append(LoadUnit("tickets", path, hashes[path], rows, columns, expected))
                continue
            tickets, events = self._event_log(parsed)
            units.append(LoadUnit("tickets", path, hashes[path], tickets, columns, expected))
            event_columns = [
                "event_id",
                "ticket_id",
                "occurred_at",
                "kind",
                "from_value",
                "to_value",
                "author_id",
                "author_role",
                "sequence",
            ]
            units.append(LoadUnit("events", path, hashes[path], events, event_columns, expected))
        return units

    # ------------------------------------------------------------------ reading

    def _is_mapped(self, header_name: str) -> bool:
        folded = _fold(header_name.split("#")[0])
        mapped = {_fold(c) for sources in self.mapping.columns.values() for c in sources}
        return folded in mapped or folded in {_fold(c) for c in self.mapping.tag_columns}

    def _read(self, path: Path) -> tuple[list[str], list[_Parsed]]:
        fmt = self.mapping.fmt or path.suffix.lstrip(".")
        text, has_bad_bytes = decode(path, "tickets")
        if fmt == "jsonl":
            return self._read_jsonl(text)
        if self.mapping.delimiter != ",":
            text = _to_commas(text, self.mapping.delimiter)
        rows, header, _renamed, values = parse_csv(
            text, has_bad_bytes, path, "tickets", columns_of=_header_columns
        )
        parsed = []
        for index, row_number in enumerate(rows.row_number):
            del row_number
            problem = rows.problem[index]
            source = None
            if problem is None:
                source = {header[i]: values[i][index] for i in range(len(header))}
            parsed.append(
                self._parse(rows.line_number[index], rows.raw_text[index], source, problem)
            )
            parsed[-1].position = index
        return header, parsed

    def _read_jsonl(self, text: str) -> tuple[list[str], list[_Parsed]]:
        header: dict[str, None] = {}
        parsed = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                parsed.append(_Parsed(number, line, None, f"line is not valid JSON ({exc})"))
                continue
            if not isinstance(item, dict):
                parsed.append(_Parsed(number, line, None, "line is not a JSON object"))
                continue
            header.update(dict.fromkeys(item))
            source = {
                k: v if isinstance(v, str | list) or v is None else str(v) for k, v in item.items()
            }
            parsed.append(self._parse(number, line, source, None))
            parsed[-1].position = len(parsed)
        return list(header), parsed

    def _lookup(self, source: dict[str, Any], names: list[str]) -> list[Any]:
        """The values of every source column named (any case), in header order."""
        wanted = {_fold(name) for name in names}
        found = []
        for header, value in source.items():
            if _fold(header.split("#")[0]) in wanted:
                found.append(value)
        return found

    def _value(self, source: dict[str, Any], key: str) -> Any:
        names = self.mapping.columns.get(key)
        if not names:
            return None
        for name in names:  # candidates in the mapping's order
            for value in self._lookup(source, [name]):
                if not self._is_null(value):
                    return value
        return None

    def _is_null(self, value: Any) -> bool:
        return value is None or (
            isinstance(value, str) and _fold(value) in self.mapping.null_markers
        )

    def _parse(
        self, line: int | None, raw: str, source: dict[str, Any] | None, problem: str | None
    ) -> _Parsed:
        if source is None:
            return _Parsed(line, raw, None, problem)
        record: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        mapping = self.mapping
        for key in TICKET_FIELDS:
            if key == "tags":
                continue
            value = self._value(source, key)
            if value is None:
                continue
            if key in TIMESTAMP_FIELDS:
                instant = self._instant(value)
                if instant is None:
                    if key in mapping.lenient_timestamps:
                        extra[f"{key}_source"] = value
                        continue
                    if key in REQUIRED:
                        names = " or ".join(mapping.columns[key])
                        return _Parsed(
                            line,
                            raw,
                            None,
                            f"{names} {value!r} is not a timestamp in the mapping's formats "
                            f"({', '.join(mapping.timestamp_formats) or 'ISO 8601'})",
                        )
                    record[key] = value
                    continue
                record[key] = instant.isoformat()
            elif key in VALUE_MAPS:
                record[key] = self._mapped(key, value, source)
            else:
                record[key] = value.strip() if isinstance(value, str) else value
        tags: list[str] = []
        for value in self._lookup(source, mapping.columns.get("tags", [])):
            if self._is_null(value):
                continue
            parts = value if isinstance(value, list) else str(value).split(mapping.list_separator)
            tags += [str(p).strip() for p in parts if str(p).strip()]
        for value in self._lookup(source, mapping.tag_columns):
            if not self._is_null(value):
                tags.append(str(value).strip())
        if tags:
            record["tags"] = tags
        for header, value in source.items():
            if not self._is_mapped(header) and not self._is_null(value):
                extra[header] = value
        record.update(extra)
        parsed = _Parsed(line, raw, record, None)
        if record.get("updated_at"):
            parsed.at = datetime.fromisoformat(record["updated_at"])
        if mapping.sequence:
            found = [v for v in self._lookup(source, [mapping.sequence]) if not self._is_null(v)]
            if found:
                text = str(found[0]).strip()
                parsed.sequence = (0, int(text)) if re.fullmatch(r"-?\d+", text) else (1, text)
        return parsed

    def _mapped(self, key: str, value: Any, source: dict[str, Any]) -> str:
        table = self.mapping.values.get(key, {})
        folded = _fold(str(value))
        if folded in table:
            return table[folded]
        if key == "status":
            category = self._value(source, "status_category")
            fallback = self.mapping.values.get("status_category", {})
            if category is not None and _fold(str(category)) in fallback:
                return fallback[_fold(str(category))]
        return folded

    def _instant(self, value: Any) -> datetime | None:
        text = str(value).strip()
        candidates = []
        for fmt in self.mapping.timestamp_formats:
            try:
                candidates.append(datetime.strptime(text, fmt))  # noqa: DTZ007 - zone set below
            except ValueError:
                continue
            break
        if not candidates:
            try:
                candidates.append(datetime.fromisoformat(text.replace("Z", "+00:00")))
            except ValueError:
                return None
        instant = candidates[0]
        return instant if instant.tzinfo else instant.replace(tzinfo=self.zone)

    # ------------------------------------------------------------------ event logs

    def _event_log(self, parsed: list[_Parsed]) -> tuple[list[SourceRow], list[SourceRow]]:
        """Event log rows -> (one ticket snapshot per ticket, one status_change per row)."""
        events: list[SourceRow] = []
        by_ticket: dict[str, list[_Parsed]] = {}
        for row in parsed:
            if row.record is None:
                events.append(SourceRow(row.raw, None, row.problem, row.line))
            elif not row.record.get("ticket_id") or row.at is None:
                # the validation names the missing field; the row cannot be ordered
                events.append(
                    SourceRow(row.raw, _event_record(row, None, self.mapping), None, row.line)
                )
            else:
                by_ticket.setdefault(str(row.record["ticket_id"]), []).append(row)
        tickets: list[SourceRow] = []
        for ticket_rows in by_ticket.values():
            ticket_rows.sort(key=lambda r: (r.at, r.sequence, r.position))
            previous = None
            for row in ticket_rows:
                events.append(
                    SourceRow(row.raw, _event_record(row, previous, self.mapping), None, row.line)
                )
                previous = row.record.get("status") if row.record else None
            latest = ticket_rows[-1]
            tickets.append(SourceRow(latest.raw, self._snapshot(latest), None, latest.line))
        return tickets, events

    def _snapshot(self, latest: _Parsed) -> dict[str, Any]:
        """The ticket as its latest row shows it; final-value columns only when they are
        already true at that row (not after it; a solve time only on a solved row)."""
        record = dict(latest.record or {})
        finals = {
            key
            for key, names in self.mapping.columns.items()
            if any(_fold(n) in self.mapping.final_columns for n in names)
        }
        for key in finals & set(TIMESTAMP_FIELDS):
            value = record.get(key)
            if value is None:
                continue
            try:
                instant = datetime.fromisoformat(value)
            except ValueError:
                continue
            solved_key_unsolved = key == "solved_at" and record.get("status") not in (
                "solved",
                "closed",
            )
            if latest.at is None or instant > latest.at or solved_key_unsolved:
                record[f"final_{key}"] = record.pop(key)
        return record


def _event_record(row: _Parsed, previous: str | None, mapping: Mapping) -> dict[str, Any]:
    """One event log row as a canonical status_change (from = the ticket's previous row)."""
    record = row.record or {}
    status = record.get("status")
    sequence = row.sequence[1] if row.sequence != (0, 0) or mapping.sequence else None
    key = json.dumps([record.get("ticket_id"), record.get("updated_at"), sequence, status, row.raw])
    event = {
        "event_id": "log-" + hashlib.sha256(key.encode()).hexdigest()[:20],
        "ticket_id": record.get("ticket_id"),
        "occurred_at": record.get("updated_at"),
        "kind": "status_change",
        "from_value": previous,
        "to_value": status,
        "sequence": None if sequence is None else str(sequence),
    }
    if mapping.author_id:
        event["author_id"] = record.get(mapping.author_id) or _first(record, mapping.author_id)
    if mapping.author_role:
        event["author_role"] = mapping.author_role
    return {k: v for k, v in event.items() if v is not None}


def _first(record: dict[str, Any], name: str) -> Any:
    for key, value in record.items():
        if _fold(key) == _fold(name):
            return value
    return None


def _header_columns(header: list[str], path: Path, entity: str) -> tuple[list[str], dict[str, str]]:
    """A vendor header as column names: stripped, blanks named, repeats numbered
    (`Labels`, `Labels#2`: Jira repeats a column per value)."""
    del path, entity
    columns: list[str] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        clean = name.strip() or f"column_{position}"
        count = seen.get(_fold(clean), 0) + 1
        seen[_fold(clean)] = count
        columns.append(clean if count == 1 else f"{clean}#{count}")
    return columns, {}


def _to_commas(text: str, delimiter: str) -> str:
    """Re-write a CSV with another delimiter as comma-separated text, line by line."""
    allow_long_fields()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for fields in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        writer.writerow(fields)
    return out.getvalue()
