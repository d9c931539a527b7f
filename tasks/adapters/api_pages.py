"""What the adapters of pulled API pages share: read a saved page, walk its JSON, make a unit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tasks.adapters.base import LoadUnit, SourceRow, unit_sha256
from tasks.adapters.files import ExportFileError


def page_items(path: Path, key: str | None, vendor: str, entity: str) -> list[tuple[str, Any]]:
    """The records of a saved page (`page[key]`, or the page when it is a list), with text.

    A page that is not JSON, or not in the documented shape, is fatal for its day.
    """
    try:
        page = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExportFileError(
            f"{path} is not valid JSON ({exc}); expected a {vendor} API page as "
            "`backlog pull` saves it, so pull that day again.",
            path=path,
            entity=entity,
        ) from exc
    found = page if key is None else (page.get(key) if isinstance(page, dict) else None)
    if not isinstance(found, list):
        shape = "a JSON list" if key is None else f'{{"{key}": [...]}}'
        raise ExportFileError(
            f"{path} is not {shape}; expected a {vendor} API page as `backlog pull` saves "
            "it, so pull that day again.",
            path=path,
            entity=entity,
            column=key,
        )
    return [(json.dumps(item, ensure_ascii=False), item) for item in found]


def dig(item: Any, dotted: str) -> Any:
    """`item["a"]["b"]` for "a.b"; None where a level is missing."""
    value = item
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def text(value: Any) -> Any:
    """Ids and numbers as text; lists and text as they are; booleans as true/false."""
    if value is None or isinstance(value, str | list):
        return value if value != "" else None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def row(raw: str, record: Any) -> SourceRow:
    """A source row of a record dict (None values left out), or a quarantined non-object."""
    if not isinstance(record, dict):
        return SourceRow(raw, None, "item is not a JSON object; expected an object", None)
    return SourceRow(raw, {k: v for k, v in record.items() if v is not None}, None, None)


def make_unit(
    entity: str,
    path: Path,
    hashes: dict[Path, str],
    aux: tuple[Path, ...],
    rows: list[SourceRow],
    columns: list[str],
    expected: str,
) -> LoadUnit:
    """A load unit whose fingerprint folds in the day's lookup files."""
    return LoadUnit(
        entity=entity,
        path=path,
        sha256=unit_sha256(hashes[path], [hashes[p] for p in aux]),
        rows=rows,
        columns=columns,
        expected=expected,
    )
