"""Row-level validation of one load: malformed rows, the GX suite, duplicates; the run kept.

A load's rows are checked in three steps, each row keeping the reason of the first it
fails: rows the reader could not split into columns (`load_records.problem`), the GX
suite (expectations with `meta.severity` `quarantine`; `warn` ones are counted and the
row loads), then duplicates inside the file, settled in SQL: exact copies fold,
otherwise the latest `updated_at` wins (docs/data-quality.md). A file where no row survives
is fatal. Every GX run goes through a ValidationDefinition, and its result (without
the failing-row lists, which are in `ops.quarantine`) is kept in
`ops.validation_runs`, so the Data Docs can be rendered at any time from the warehouse.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from tasks.contract import KEYS
from tasks.extensions import NONE, Extensions
from tasks.quality.suites import ROW_ID, SuiteRunner
from tasks.warehouse import read_sql

# Parts of a GX result that list failing rows or values: left out of the stored result.
ROW_LISTS = (
    "unexpected_index_list",
    "partial_unexpected_index_list",
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "unexpected_list",
    "unexpected_index_query",
)
# Rows the reader could not split into columns (wrong number of fields, not JSON, ...).
WELL_FORMED_CHECK = "expect_rows_to_be_well_formed"
DUPLICATE_CHECK = "expect_no_duplicate_rows"
EXACT_COPY_REASON = "exact copy of another row (folded)"


@dataclass(frozen=True)
class CheckResult:
    """One row-level check's outcome on one load."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int
    message: str = ""


@dataclass
class ValidationOutcome:
    """Rows to quarantine (row number -> reason), every check's result, a fatal message.

    `gx_result` is the suite's result as GX JSON without failing-row lists, `run_key`
    its key in a Data Docs store, `seconds` what the GX run cost.
    """

    bad_rows: dict[int, str] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    fatal: str | None = None
    rows_checked: int = 0
    gx_result: dict[str, Any] | None = None
    run_key: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_folded(self) -> int:
        """Exact copies folded: quarantined, but nothing of them is lost."""
        return sum(1 for reason in self.bad_rows.values() if reason == EXACT_COPY_REASON)


def validate_load(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    export_date: date,
    ext: Extensions = NONE,
    run_name: str | None = None,
    *,
    runner: SuiteRunner,
    source_timezone: str,
) -> ValidationOutcome:
    """Validate one load: temp tables `load_records` (as read) and `load_typed` (cast).

    `ext` adds the extension folders' expectations; `runner` holds the run's GX set-up;
    `source_timezone` places the plausible-instant bound. Leaves the rows to quarantine
    in the temp table `load_bad` (row_number, reason).
    """
    outcome = ValidationOutcome()
    outcome.rows_checked = con.execute("select count(*) from load_records").fetchone()[0]

    malformed = dict(
        con.execute(
            "select row_number, problem from load_records where problem is not null "
            "order by row_number"
        ).fetchall()
    )
    outcome.bad_rows.update(malformed)
    outcome.checks.append(
        CheckResult(
            WELL_FORMED_CHECK,
            "*",
            "quarantine",
            not malformed,
            len(malformed),
            "rows that cannot be split into the file's columns",
        )
    )

    parameters = {"source_timezone": source_timezone}
    frame = con.execute(frame_sql(con, entity, ext, parameters), parameters).df()
    if len(frame):
        _run_suite(runner, entity, frame, export_date, run_name, outcome, ext)

    _record_bad_rows(con, outcome.bad_rows)
    superseded = f"superseded by a later row with the same {KEYS[entity]}"
    duplicates = {
        row: EXACT_COPY_REASON if is_exact_copy else superseded
        for row, is_exact_copy in con.execute(
            read_sql(f"queries/ingest/duplicates__{entity}.sql")
        ).fetchall()
    }
    outcome.checks.append(
        CheckResult(
            DUPLICATE_CHECK,
            KEYS[entity],
            "quarantine",
            not duplicates,
            len(duplicates),
            f"rows repeating a {KEYS[entity]} (exact copies folded, else the latest row kept)",
        )
    )
    outcome.bad_rows.update(duplicates)
    _record_bad_rows(con, outcome.bad_rows)

    total = outcome.rows_checked
    if total and len(outcome.bad_rows) == total:
        counts = Counter(_kind(reason) for reason in outcome.bad_rows.values()).most_common(3)
        reasons = "; ".join(f"{reason}: {n} of {total}" for reason, n in counts)
        outcome.fatal = f"not one of its {total} rows can be loaded ({reasons})"
    return outcome


def _kind(reason: str) -> str:
    """A quarantine reason without its per-row details in parentheses (lines, bytes)."""
    return re.sub(r"\s*\([^)]*\)", "", reason)


def _run_suite(
    runner: SuiteRunner,
    entity: str,
    frame: Any,
    export_date: date,
    run_name: str | None,
    outcome: ValidationOutcome,
    ext: Extensions,
) -> None:
    """Run the entity's GX suite on `frame`; add its checks and quarantined rows."""
    gx_runner = runner.gx(ext)
    started = time.perf_counter()
    result, run_key = gx_runner.validate(entity, frame, run_name or f"{export_date}_{entity}")
    outcome.seconds = time.perf_counter() - started
    outcome.run_key = run_key
    for item in result.results:
        config = item.expectation_config
        meta = config.meta or {}
        severity = meta.get("severity", "quarantine")
        error = _exception_message(item.exception_info)
        if error:
            raise RuntimeError(f"expectation {config.type} could not run: {error}")
        rows = _failing_rows(item.result.get("unexpected_index_list") or [])
        column = _columns(config)
        reason = _reason(config)
        outcome.checks.append(
            CheckResult(config.type, column, severity, bool(item.success), len(rows), reason)
        )
        if severity == "quarantine":
            for row in rows:
                outcome.bad_rows.setdefault(row, reason)
    outcome.gx_result = _without_row_lists(result)


def _columns(config: Any) -> str:
    """The columns an expectation reads, its identity in a suite with its type."""
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    return ",".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)


def _reason(config: Any) -> str:
    """Why a row failing this expectation is set aside: its meta.reason, or a default."""
    meta = config.meta or {}
    if "reason" in meta:
        return str(meta["reason"])
    return f"{_columns(config)} fails {config.type}"


def _failing_rows(index_list: list[dict[str, Any]]) -> list[int]:
    """Row numbers from GX's index list (one id per entry, or grouped in a list)."""
    rows: set[int] = set()
    for entry in index_list:
        value = entry[ROW_ID]
        rows.update(int(v) for v in value) if isinstance(value, list) else rows.add(int(value))
    return sorted(rows)


def _exception_message(info: Any) -> str | None:
    """The message of an expectation that raised, also when GX nests it per metric."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        nested = _exception_message(value)
        if nested:
            return nested
    return None


def _without_row_lists(result: Any) -> dict[str, Any]:
    """A GX suite result as JSON, counts kept, lists of failing rows and values dropped.

    The lists are dropped from the result before it is turned into JSON: with many
    failing rows, serialising them (to throw them away) cost more than the validation.
    """
    for item in result.results:
        for name in ROW_LISTS:
            (item.result or {}).pop(name, None)
    return result.to_json_dict()


def _record_bad_rows(con: duckdb.DuckDBPyConnection, bad_rows: dict[int, str]) -> None:
    """Keep the temp table `load_bad` equal to `bad_rows` (read by SQL and by ingest)."""
    con.execute(
        "create or replace temp table load_bad (row_number bigint primary key, reason varchar)"
    )
    if bad_rows:
        import pandas as pd

        rows = sorted(bad_rows.items())
        frame = pd.DataFrame(
            {"row_number": [r for r, _ in rows], "reason": [reason for _, reason in rows]}
        )
        con.register("load_bad_frame", frame)
        try:
            con.execute("insert into load_bad select row_number, reason from load_bad_frame")
        finally:
            con.unregister("load_bad_frame")


def frame_sql(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    ext: Extensions,
    parameters: dict[str, Any],
) -> str:
    """The suite's frame, plus the `load_typed` columns that extension expectations read.

    The frame's query (`sql/queries/ingest/frame__<entity>.sql`) takes `parameters`.
    """
    base_sql = read_sql(f"queries/ingest/frame__{entity}.sql")
    wanted = {
        str(kwargs[key])
        for item in ext.expectations(entity)
        for kwargs in [item.get("kwargs", {})]
        for key in ("column", "column_A", "column_B")
        if key in kwargs
    } | {
        str(column)
        for item in ext.expectations(entity)
        for column in item.get("kwargs", {}).get("column_list", [])
    }
    if not wanted:
        return base_sql
    typed = {row[0] for row in con.execute("describe load_typed").fetchall()}
    base = {row[0] for row in con.execute(f"describe {base_sql}", parameters).fetchall()}
    extra = sorted(column for column in wanted if column in typed and column not in base)
    if not extra:
        return base_sql
    columns = ", ".join(f'typed."{column}"' for column in extra)
    return (
        f"select frame.*, {columns} from ({base_sql}) as frame "
        "inner join load_typed as typed using (row_number) order by row_number"
    )


def store_run(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    export_date: date,
    entity: str,
    outcome: ValidationOutcome,
) -> None:
    """Keep a load's GX result in `ops.validation_runs` for the Data Docs."""
    if outcome.gx_result is None or not outcome.run_key:
        return
    con.execute(
        "insert or replace into ops.validation_runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            export_date,
            entity,
            outcome.run_key,
            bool(outcome.gx_result.get("success")),
            outcome.seconds,
            json.dumps(outcome.gx_result, ensure_ascii=False, allow_nan=False, default=str),
        ],
    )
