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
import warnings
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
    "exclude_unexpected_values": True,
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
        error = _exception_message(item.exception_info)
        if error:
            raise RuntimeError(f"expectation {config.type} could not run: {error}")
        rows = _failing_rows(item.result.get("unexpected_index_list") or [])
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
        row: "exact copy of another row (folded)"
        if is_exact_copy
        else f"superseded by a later row with the same {key}"
        for row, is_exact_copy in con.execute(
            read_sql(f"ingest/duplicates__{entity}.sql")
        ).fetchall()
    }
    outcome.checks.append(
        CheckResult(
            "expect_no_duplicate_rows",
            key,
            "quarantine",
            not duplicates,
            len(duplicates),
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


def _record_bad_rows(con: duckdb.DuckDBPyConnection, bad_rows: dict[int, str]) -> None:
    """Keep the temp table `load_bad` equal to `bad_rows` (read by SQL and by ingest)."""
    con.execute(
        "create or replace temp table load_bad (row_number bigint primary key, reason varchar)"
    )
    if bad_rows:
        con.executemany("insert into load_bad values (?, ?)", sorted(bad_rows.items()))


class _Validator:
    """One Great Expectations context, batch definition and suite for one entity.

    The context is ephemeral and in memory: no analytics, no progress bars, no
    temporary Data Docs folder.
    """

    def __init__(self, entity: str) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas(f"{entity}_loads").add_dataframe_asset(entity)
        self.batch_definition = asset.add_batch_definition_whole_dataframe("load")
        suite_json = json.loads((EXPECTATIONS_DIR / f"{entity}.json").read_text("utf-8"))
        self.suite = context.suites.add(gx.ExpectationSuite(**suite_json))

    def validate(self, frame: Any) -> Any:
        import pandas as pd

        batch = self.batch_definition.get_batch(
            batch_parameters={"dataframe": frame.reset_index(drop=True)}
        )
        with warnings.catch_warnings():
            # GX's column-pair checks read tz-aware Series.values; pandas 3.1 warns, and a
            # warning turned into an error would make GX report the check as failed
            # with no rows.
            warnings.filterwarnings(
                "ignore", "Series.values returning an ndarray", pd.errors.Pandas4Warning
            )
            return batch.validate(self.suite, result_format=dict(RESULT_FORMAT))


@cache
def _validator(entity: str) -> _Validator:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return _Validator(entity)


def suite_path(entity: str) -> Path:
    """Where an entity's suite is kept."""
    return EXPECTATIONS_DIR / f"{entity}.json"
