"""Repairs of a load's rows that keep a real ticket: NUL bytes stripped, clock skew clamped.

Real exports carry harmless defects that would otherwise cost a whole row: a NUL byte
pasted into a text field, an `updated_at` a second before `created_at` because the
helpdesk's services disagree on the time. Such a row is repaired, loaded and counted
as a `warn` row check (kept in `ops.validation_results`, so the day's data quality is
`warn` and names the check). Skew beyond the tolerance is left alone: the suite's
"before created_at" expectation quarantines the row as before.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from tasks.quality.rows import CheckResult

NUL_CHECK = "expect_text_without_nul_bytes"
SKEW_CHECK = "expect_no_clock_skew"
# The ticket columns clamped to created_at when they fall within the tolerance before it.
SKEW_COLUMNS = ("updated_at", "solved_at")


def strip_nul_bytes(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Remove NUL characters from the string values of the temp table `load_records`.

    Only records whose JSON text holds an escaped NUL are read back into Python; a
    record counts when one of its values really held one.
    """
    candidates = con.execute(
        "select row_number, record::varchar from load_records "
        "where problem is null and contains(record::varchar, '\\u0000')"
    ).fetchall()
    repaired = []
    for row_number, text in candidates:
        record = json.loads(text)
        cleaned = _without_nul(record)
        if cleaned != record:
            repaired.append([json.dumps(cleaned, ensure_ascii=False), row_number])
    if repaired:
        con.executemany("update load_records set record = ?::json where row_number = ?", repaired)
    return CheckResult(
        NUL_CHECK,
        "*",
        "warn",
        not repaired,
        len(repaired),
        "rows with a NUL byte in a text field (removed, the row loaded)",
    )


def _without_nul(value: Any) -> Any:
    """A JSON value with NUL characters removed from every string in it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def clamp_clock_skew(
    con: duckdb.DuckDBPyConnection, entity: str, tolerance_minutes: float
) -> list[CheckResult]:
    """Clamp ticket instants a little before `created_at` to it, in the temp table `load_typed`.

    A tickets row whose `updated_at` or `solved_at` is before `created_at` by at most
    `tolerance_minutes` gets `created_at` instead. One check per column; none for events.
    """
    if entity != "tickets":
        return []
    seconds = float(tolerance_minutes) * 60
    checks = []
    for column in SKEW_COLUMNS:
        # the column name comes from SKEW_COLUMNS, never from input; the tolerance is bound
        where = f"{column} < created_at and {column} >= created_at - to_seconds(?::double)"
        (count,) = con.execute(
            f"select count(*) from load_typed where {where}", [seconds]
        ).fetchone()
        if count:
            con.execute(f"update load_typed set {column} = created_at where {where}", [seconds])
        checks.append(
            CheckResult(
                SKEW_CHECK,
                column,
                "warn",
                not count,
                int(count),
                f"{column} before created_at by at most {tolerance_minutes:g} minutes "
                "(clock skew: set to created_at, the row loaded)",
            )
        )
    return checks
