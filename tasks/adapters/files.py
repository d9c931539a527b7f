"""Canonical file readers: a file's bytes -> UTF-8 text -> rows of CSV or JSONL, checked.

Every row of a file is accounted for: a line the CSV grammar cannot fit into
the header's columns (a truncated line, a stray delimiter, bytes that are not UTF-8)
becomes a problem row with its text, never a silently dropped or merged one; a
quoted newline stays inside its row; a NUL byte in a field is kept for the ingest to
strip and count (`tasks/quality/repairs.py`). A problem of the whole file
(docs/data-quality.md, fatal) raises `ExportFileError`. The vendor adapters read their CSV and JSONL
through the same functions.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.contract import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from tasks.errors import BacklogError

# Text a decoder could not read as UTF-8 (surrogateescape) / any real non-ASCII character.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_UTF8_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# A description longer than csv's default 128 KiB field limit is still one field.
FIELD_SIZE_LIMIT = 2**31 - 1


class ExportFileError(BacklogError):
    """A fatal problem of one export file (docs/data-quality.md, fatal): its day is not loaded.

    The message is one sentence naming the file, the column when there is one, and
    what was expected.
    """

    def __init__(self, message: str, *, path: Path, entity: str, column: str | None = None):
        super().__init__(message)
        self.path = path
        self.entity = entity
        self.column = column


@dataclass
class Rows:
    """Rows read from a CSV or JSONL file, column-wise, before they go to DuckDB."""

    row_number: list[int] = field(default_factory=list)
    line_number: list[int] = field(default_factory=list)
    raw_text: list[str] = field(default_factory=list)
    problem: list[str | None] = field(default_factory=list)

    def add(self, line: int, raw: str, problem: str | None) -> None:
        """One more row: the line it starts on, its text, why it is malformed (or None)."""
        self.row_number.append(len(self.row_number) + 1)
        self.line_number.append(line)
        self.raw_text.append(raw)
        self.problem.append(problem)

    def frame(self, values: dict[str, list[Any]]) -> Any:
        """A pandas frame of the rows, with `values` (column name -> values) beside them."""
        # numpy and pandas load when a file is read, not when the CLI starts
        import numpy as np
        import pandas as pd

        columns = {
            "row_number": np.array(self.row_number, dtype=np.int64),
            "line_number": np.array(self.line_number, dtype=np.int64),
            "raw_text": objects(self.raw_text),
            "problem": objects(self.problem),
        }
        columns.update({name: objects(column) for name, column in values.items()})
        return pd.DataFrame(columns, copy=False)


def objects(values: list[Any]) -> Any:
    """Values as a numpy object array (kept as they are, no type guessed)."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def allow_long_fields() -> None:
    """Let the csv module read fields up to `FIELD_SIZE_LIMIT` (its default is 128 KiB).

    The limit is the csv module's one process-wide setting; it is raised here, by the
    functions that read CSV, just before they do, never at import. Raising it again is
    harmless, and no reader of this process needs a lower one.
    """
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)


def decode(path: Path, entity: str) -> tuple[str, bool]:
    """A file's text; whether some bytes were not UTF-8 (kept as surrogate escapes)."""
    data = path.read_bytes()
    if not data.strip():
        raise ExportFileError(
            f"{path} is empty; expected {expected_content(path, entity)}, so re-export "
            "the day and load it again.",
            path=path,
            entity=entity,
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise ExportFileError(
                f"{path} is {encoding} text; expected UTF-8, so re-export it as UTF-8.",
                path=path,
                entity=entity,
            )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "surrogateescape")
        if _UTF8_TEXT.search(text):
            return text, True  # UTF-8 with some bad bytes: those rows are quarantined
        line = data.count(b"\n", 0, exc.start) + 1
        raise ExportFileError(
            f"{path} is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} is not valid "
            "UTF-8 and no line holds UTF-8 text, so the file looks Latin-1 or Windows-1252 "
            "encoded; expected UTF-8, so re-export it as UTF-8.",
            path=path,
            entity=entity,
        ) from exc


def expected_content(path: Path, entity: str) -> str:
    """What a file of this format and entity should hold, for an error message."""
    required = ", ".join(REQUIRED_COLUMNS[entity])
    if path.suffix == ".csv":
        return f"a comma-separated header line naming {required}, then one row per {entity[:-1]}"
    return f"one JSON object per line, with the keys {required}"


def _row_problem(raw: str, has_bad_bytes: bool) -> str | None:
    """Why a row's text cannot be loaded as it is, whatever its columns."""
    if has_bad_bytes:
        match = _UNDECODABLE.search(raw)
        if match:
            byte = ord(match.group()) - 0xDC00
            return f"row is not valid UTF-8 (byte 0x{byte:02X}); expected UTF-8 text"
    return None


def _as_stored(raw: str, has_bad_bytes: bool) -> str:
    """A row's text as kept in the warehouse: final line break dropped, bad bytes as \\xNN."""
    raw = raw.rstrip("\r\n")
    if has_bad_bytes and _UNDECODABLE.search(raw):
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return raw


class _Lines:
    """The lines of a text (split at \\n, \\r\\n or \\r only), remembering those read.

    csv.reader pulls lines from here, so after each record the lines it consumed are
    that record's text as in the file.
    """

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        self.count += 1
        return line

    def take(self) -> str:
        """The text of the lines read since the last call."""
        text = "".join(self._taken)
        self._taken.clear()
        return text


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def parse_csv(
    text: str,
    has_bad_bytes: bool,
    path: Path,
    entity: str,
    columns_of: Callable[[list[str], Path, str], tuple[list[str], dict[str, str]]] | None = None,
) -> tuple[Rows, list[str], dict[str, str], list[list[str | None]]]:
    """Split CSV text into rows, each checked against the header's number of columns.

    Quoting is read strictly (RFC 4180): a quote opens and closes a whole field, and a
    quoted field may hold line breaks. A row that breaks that grammar, or has another
    number of fields than the header, is a problem row. When such a row spans lines
    of which some are complete rows on their own, an unbalanced quote swallowed them:
    its lines are read one by one instead, so no row is merged into another.
    """
    allow_long_fields()
    lines = _Lines(text.removeprefix("\ufeff"))
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    while header is None:
        try:
            fields = next(reader)
        except StopIteration:
            raise ExportFileError(
                f"{path} is empty; expected {expected_content(path, entity)}, so re-export "
                "the day and load it again.",
                path=path,
                entity=entity,
            ) from None
        except csv.Error as exc:
            raise ExportFileError(
                f"{path} has a header line with malformed quoting ({exc}); expected "
                f"{expected_content(path, entity)}.",
                path=path,
                entity=entity,
            ) from exc
        header_text = lines.take()
        if not _is_blank(fields):
            header = fields
    if _row_problem(header_text, has_bad_bytes) or "\x00" in header_text:
        raise ExportFileError(
            f"{path} has a header line that is not UTF-8 text (it holds NUL or undecodable "
            "bytes, as UTF-16 files do); expected UTF-8, so re-export it as UTF-8.",
            path=path,
            entity=entity,
        )
    columns, renamed = (columns_of or header_columns)(header, path, entity)
    width = len(columns)
    rows = Rows()
    values: list[list[str | None]] = [[] for _ in range(width)]

    def add(line: int, raw: str, fields: list[str] | None, problem: str | None) -> None:
        rows.add(line, _as_stored(raw, has_bad_bytes), problem)
        for column, value in zip(values, fields or [None] * width, strict=True):
            column.append(value)

    first_line = lines.count + 1
    while True:
        error = None
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            fields, error = None, str(exc)
        raw = lines.take()
        start, end, first_line = first_line, lines.count, lines.count + 1
        if fields is not None and _is_blank(fields):
            continue
        problem = _row_problem(raw, has_bad_bytes)
        if problem is None:
            problem = _shape_problem(fields, error, width, start, end)
            if problem and end > start:
                pieces = _split_merged(raw, width, start, end)
                if pieces:
                    for piece in pieces:
                        add(*piece)
                    continue
        add(start, raw, None if problem else fields, problem)
    return rows, columns, renamed, values


def _shape_problem(
    fields: list[str] | None, error: str | None, width: int, start: int, end: int
) -> str | None:
    """Why a CSV row does not fit the header: broken quoting or another field count."""
    span = f" (lines {start}-{end})" if end > start else ""
    if error == "unexpected end of data":
        return f"row ends inside a quoted field at the end of the file{span}: a truncated export"
    if error is not None:
        return f"row has malformed quoting ({error}){span}; expected quotes around whole fields"
    if fields is not None and len(fields) != width:
        return (
            f"row has {len(fields)} field{'s' if len(fields) != 1 else ''} where the header "
            f"has {width}{span}: a truncated or malformed line"
        )
    return None


def _split_merged(
    raw: str, width: int, start: int, end: int
) -> list[tuple[int, str, list[str] | None, str | None]] | None:
    """The lines of a broken multi-line row, each read alone, when some are whole rows.

    None when no line after the first is a complete row on its own: then the row is a
    genuine multi-line row (a quoted text with line breaks) and stays one row.
    """
    pieces = list(io.StringIO(raw, newline=""))
    parsed = [_parse_line(piece) for piece in pieces]
    if not any(fields is not None and len(fields) == width for fields in parsed[1:]):
        return None
    rows = []
    for offset, (piece, fields) in enumerate(zip(pieces, parsed, strict=True)):
        if fields is not None and _is_blank(fields):
            continue
        if fields is not None and len(fields) == width:
            rows.append((start + offset, piece, fields, None))
        else:
            rows.append(
                (
                    start + offset,
                    piece,
                    None,
                    f"row with unbalanced quotes (lines {start}-{end}, read line by line): "
                    f"this line does not fit the header's {width} columns",
                )
            )
    return rows


def _parse_line(line: str) -> list[str] | None:
    """One line read as a CSV row on its own, or None when its quoting is broken."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error:
        return None


def parse_jsonl(
    text: str, has_bad_bytes: bool, path: Path, entity: str
) -> tuple[Rows, list[str], dict[str, str], list[str | None]]:
    """Split JSONL text into rows, one JSON object per line; blank lines are not rows."""
    rows = Rows()
    records: list[str | None] = []
    keys: dict[str, None] = {}
    renames: dict[str, str | None] = {}
    renamed: dict[str, str] = {}
    canonical = set(CANONICAL_COLUMNS[entity])
    for line_number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        problem = _row_problem(line, has_bad_bytes)
        record = None
        if problem is None:
            try:
                # a raw NUL inside a string is read as an escaped one, stripped at ingest
                parsed = json.loads(
                    line.replace("\x00", "\\u0000"), parse_constant=_reject_constant
                )
            except ValueError as exc:
                detail = f"{exc.msg}: column {exc.colno}" if hasattr(exc, "colno") else str(exc)
                problem = f"line is not valid JSON ({detail}); expected one JSON object per line"
            else:
                if not isinstance(parsed, dict):
                    problem = (
                        f"line is a JSON {type(parsed).__name__}, not an object; "
                        "expected one JSON object per line"
                    )
                else:
                    parsed = _rename_keys(parsed, renames, renamed, canonical)
                    keys.update(dict.fromkeys(parsed))
                    record = json.dumps(parsed, ensure_ascii=False)
        rows.add(line_number, _as_stored(line, has_bad_bytes), problem)
        records.append(record)
    columns = list(keys)
    if columns:  # else no line is a JSON object: validation says so, row by row
        check_required(columns, path, entity)
    return rows, columns, renamed, records


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _rename_keys(
    record: dict[str, Any],
    renames: dict[str, str | None],
    renamed: dict[str, str],
    canonical: set[str],
) -> dict[str, Any]:
    """A JSON record with case variants of canonical keys (`Created_At`) renamed.

    `renames` caches each key's canonical name (None: keep it); `renamed` collects
    the renames done. A variant stays as it is when the record also has the exact key.
    """
    for key in record:
        if key not in renames:
            folded = key.strip().lower()
            renames[key] = folded if key not in canonical and folded in canonical else None
    applied = {
        key: target
        for key in record
        if (target := renames[key]) is not None and target not in record
    }
    if not applied:
        return record
    renamed.update(applied)
    return {applied.get(key, key): value for key, value in record.items()}


def header_columns(header: list[str], path: Path, entity: str) -> tuple[list[str], dict[str, str]]:
    """Column names from a header: blanks named, exact case variants of canonical names
    renamed (`Created_At` -> created_at), duplicates and missing required columns fatal."""
    canonical = CANONICAL_COLUMNS[entity]
    folded = Counter(name.strip().lower() for name in header)
    columns: list[str] = []
    renamed: dict[str, str] = {}
    for position, name in enumerate(header, start=1):
        target = name.strip().lower()
        if not name.strip():
            name = f"column_{position}"
        elif (
            name not in canonical
            and target in canonical
            and target not in header
            and folded[target] == 1
        ):
            renamed[name] = target
            name = target
        columns.append(name)
    repeated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if repeated:
        raise ExportFileError(
            f"{path} has the column {repeated[0]} more than once; expected each column once, "
            "so remove the copy and re-export the file.",
            path=path,
            entity=entity,
            column=repeated[0],
        )
    check_required(columns, path, entity)
    return columns, renamed


def _renamed(missing: list[str], columns: list[str], entity: str) -> list[tuple[str, str]]:
    """(missing column, the header's column that looks like it): the same letters in
    another case or spacing ('Created At'), else a close spelling ('created',
    'requestor_id') among the columns the format does not know (never another of its own)."""
    squashed = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in columns}
    unknown = [c for c in columns if c not in CANONICAL_COLUMNS[entity]]
    found = []
    for name in missing:
        same = squashed.get(re.sub(r"[^a-z0-9]", "", name))
        close = difflib.get_close_matches(name, [c.lower() for c in unknown], n=1, cutoff=0.8)
        if same is not None:
            found.append((name, same))
        elif close:
            found.append((name, next(c for c in unknown if c.lower() == close[0])))
    return found


def check_required(columns: list[str], path: Path, entity: str) -> None:
    """Stop when a required column is missing, with a hint when one looks renamed."""
    required = REQUIRED_COLUMNS[entity]
    missing = [c for c in required if c not in columns]
    if not missing:
        return
    hints = [f"{found!r} looks like {m!r}" for m, found in _renamed(missing, columns, entity)]
    if not hints and len(columns) <= 2 and any(";" in c or "\t" in c for c in columns):
        separator = "tab" if any("\t" in c for c in columns) else "semicolon"
        hints = [f"its header is {separator}-separated; canonical CSV uses commas"]
    hint = f" ({'; '.join(hints)})" if hints else ""
    raise ExportFileError(
        f"{path} lacks the required column{'s' if len(missing) > 1 else ''} "
        f"{', '.join(missing)}{hint}; the canonical {entity} format needs "
        f"{', '.join(required)}, so fix the file's header (or pass the right --source) "
        "and load the day again.",
        path=path,
        entity=entity,
        column=missing[0],
    )
