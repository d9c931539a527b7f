"""The review's data quality: the week's files, rows, failed checks and each day's status."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from tasks import quality

STATUSES = ("ok", "warn", "fail")  # the day statuses of the digest, best first


def data_quality(
    con: duckdb.DuckDBPyConnection,
    monday: date,
    sunday: date,
    period: tuple[date, date] | None,
) -> dict[str, Any]:
    """Per day of the week: files, rows read / loaded / quarantined; failed checks; reasons.

    Each day of the loaded period has the digest's status of that day
    (`quality.data_quality_for_day`: ok, warn or fail, e.g. fail for a fatal file); the
    week's status is the worst of them, `no_data` when no day of the week is in the period.
    """
    failed_loads = {
        row[0]
        for row in con.execute(
            "select distinct export_date from ops.load_failures where export_date between ? and ?",
            [monday, sunday],
        ).fetchall()
    }
    loads = {
        row[0]: row[1:]
        for row in con.execute(
            """
            select export_date, count(*), sum(rows_read), sum(rows_loaded),
                sum(rows_quarantined)
            from ops.loads
            where export_date between ? and ?
            group by export_date
            """,
            [monday, sunday],
        ).fetchall()
    }
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        files, read, loaded, quarantined = (int(v) for v in loads.get(day, (0, 0, 0, 0)))
        in_period = period is not None and period[0] <= day <= period[1]
        status = quality.data_quality_for_day(con, day)["status"] if in_period else "no_data"
        if day in loads:
            note = ""
        elif day in failed_loads:
            note = "the export failed to load"
        elif period is None or day < period[0]:
            note = "before the first export"
        elif day > period[1]:
            note = "not loaded yet"
        else:
            note = "no export loaded"
        days.append(
            {
                "date": day.isoformat(),
                "weekday": f"{day:%a}",
                "files": files,
                "rows_read": read,
                "rows_loaded": loaded,
                "rows_quarantined": quarantined,
                "note": note,
                "status": status,
            }
        )
    failures = [
        {
            "date": day.isoformat(),
            "entity": entity,
            "expectation": expectation,
            "column": column,
            "severity": severity,
            "unexpected_count": int(count),
        }
        for day, entity, expectation, column, severity, count in con.execute(
            """
            select export_date, entity, expectation, column_name, severity, unexpected_count
            from ops.validation_results
            where export_date between ? and ? and not success
            order by export_date, entity, expectation, column_name
            """,
            [monday, sunday],
        ).fetchall()
    ]
    reasons = [
        {"entity": entity, "reason": reason, "rows": int(count)}
        for entity, reason, count in con.execute(
            """
            select entity, reason, count(*)
            from ops.quarantine
            where export_date between ? and ?
            group by entity, reason
            order by count(*) desc, entity, reason
            """,
            [monday, sunday],
        ).fetchall()
    ]
    checks = con.execute(
        "select count(*) from ops.validation_results where export_date between ? and ?",
        [monday, sunday],
    ).fetchone()[0]
    quarantined = sum(d["rows_quarantined"] for d in days)
    statuses = [d["status"] for d in days if d["status"] != "no_data"]
    status = max(statuses, key=STATUSES.index) if statuses else "no_data"
    return {
        "status": status,
        "days": days,
        "rows_read": sum(d["rows_read"] for d in days),
        "rows_loaded": sum(d["rows_loaded"] for d in days),
        "rows_quarantined": quarantined,
        "checks_run": int(checks),
        "failures": failures,
        "quarantine_reasons": reasons,
    }
