"""Row-level validation of one load with Great Expectations, and duplicate folding.

The suites live in `expectations/<entity>.json` (GX 1.x suite JSON). Every
failing row is quarantined with the reason of the first expectation it fails;
the rest load. A file where no row survives is fatal. Duplicates inside one
file are settled in SQL: exact copies fold, otherwise the latest `updated_at`
wins (SPEC section 6).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from tasks.warehouse import SQL_DIR, read_sql

EXPECTATIONS_DIR = SQL_DIR.parent / "expectations"
ROW_ID = "row_number"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_ID],
    "return_unexpected_index_query": False,
}
# The frame each suite validates: only the columns the expectations read.
FRAME_SQL = {
    "tickets": """
        select
            row_number, ticket_id, created_at, updated_at, solved_at, status, requester_id,
            priority,
            timezone(getvariable('source_timezone'), (export_date + 2)::timestamp)
                as latest_plausible_created_at,
        from load_typed
    """,
    "events": """
        select
            row_number, event_id, ticket_id, occurred_at, kind,
            case when kind = 'status_change' then coalesce(to_value, '(missing)') end
                as status_change_to,
        from load_typed
    """,
}
KEYS = {"tickets": "ticket_id", "events": "event_id"}


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome on one load."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int


@dataclass
class ValidationOutcome:
    """Rows to quarantine (row number -> reason), every check's result, a fatal message."""

    bad_rows: dict[int, str] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    fatal: str | None = None


def validate_load(
    con: duckdb.DuckDBPyConnection, entity: str, export_date: date
) -> ValidationOutcome:
    """Validate the temp table `load_typed` (one load's canonical rows)."""
    outcome = ValidationOutcome()
    key = KEYS[entity]
    frame = con.execute(FRAME_SQL[entity]).df()
    total = len(frame)
    result = _validator(entity).validate(frame)
    for item in result.results:
        config = item.expectation_config
        severity = (config.meta or {}).get("severity", "quarantine")
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {config.type} errored: {item.exception_info['exception_message']}"
            )
        rows = sorted(int(row[ROW_ID]) for row in item.result.get("unexpected_index_list") or [])
        column = config.kwargs.get("column") or config.kwargs.get("column_A")
        outcome.checks.append(
            CheckResult(config.type, column, severity, bool(item.success), len(rows))
        )
        if severity != "quarantine":
            continue
        reason = _reason(config)
        for row in rows:
            outcome.bad_rows.setdefault(row, reason)

    _record_bad_rows(con, outcome.bad_rows)
    duplicates = {
        row: "exact copy of another row (folded)" if is_exact_copy
        else f"superseded by a later row with the same {key}"
        for row, is_exact_copy in con.execute(read_sql(f"ingest/duplicates__{entity}.sql")).fetchall()
    }
    outcome.checks.append(
        CheckResult(
            "expect_no_duplicate_rows", key, "quarantine", not duplicates, len(duplicates),
        )
    )
    outcome.bad_rows.update(duplicates)
    _record_bad_rows(con, outcome.bad_rows)

    if total and len(outcome.bad_rows) == total:
        reasons = sorted(set(outcome.bad_rows.values()))
        outcome.fatal = (
            f"not a single row is valid ({'; '.join(reasons[:3])}); "
            f"check the {entity} export's columns and formats and re-export the day"
        )
    return outcome


def _reason(config: Any) -> str:
    meta = config.meta or {}
    if "reason" in meta:
        return str(meta["reason"])
    column = config.kwargs.get("column") or config.kwargs.get("column_A")
    return f"{column} fails {config.type}"


def _record_bad_rows(con: duckdb.DuckDBPyConnection, bad_rows: dict[int, str]) -> None:
    """Keep the temp table `load_bad` equal to `bad_rows` (read by SQL and by ingest)."""
    con.execute(
        "create or replace temp table load_bad (row_number bigint primary key, reason varchar)"
    )
    if bad_rows:
        con.executemany("insert into load_bad values (?, ?)", sorted(bad_rows.items()))


class _Validator:
    """One Great Expectations context, batch definition and suite for one entity."""

    def __init__(self, entity: str) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas(f"{entity}_loads").add_dataframe_asset(entity)
        self.batch_definition = asset.add_batch_definition_whole_dataframe("load")
        suite_json = json.loads((EXPECTATIONS_DIR / f"{entity}.json").read_text("utf-8"))
        self.suite = context.suites.add(gx.ExpectationSuite(**suite_json))

    def validate(self, frame: Any) -> Any:
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(self.suite, result_format=dict(RESULT_FORMAT))


@cache
def _validator(entity: str) -> _Validator:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return _Validator(entity)


def suite_path(entity: str) -> Path:
    """Where an entity's suite is kept."""
    return EXPECTATIONS_DIR / f"{entity}.json"
