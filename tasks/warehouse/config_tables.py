"""Write the `config.*` tables the models read from the settings (`sql/config/*.sql`)."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.schedule import days_covered_by_weekday
from tasks.warehouse.files import SQL_DIR, split_statements

Rows = list[dict[str, Any]]


def config_rows(settings: Settings) -> dict[str, Rows]:
    """Each config table's rows, as the `$name` parameters of its file's insert."""
    work = settings.work
    nature_rows = [
        {
            "nature": nature,
            "rule_order": order,
            "pattern": pattern,
            "is_automatable": nature in settings.nature.automatable,
        }
        for order, (nature, patterns) in enumerate(settings.nature.rules.items())
        for pattern in patterns
    ]
    rows: dict[str, Rows] = {
        "sla_targets": [
            {
                "priority": priority,
                "first_reply_minutes": target.first_reply_minutes,
                "resolution_minutes": target.resolution_minutes,
                "is_business_clock": target.clock == "business",
            }
            for priority, target in sorted(settings.sla.items())
        ],
        "ack_patterns": [{"pattern": pattern} for pattern in settings.ack_patterns],
        "work_settings": [{"stale_days": work.stale_days, "batch_min_size": work.batch_min_size}],
        "sentiment_lexicon": [{"path": str(SQL_DIR / "seeds" / "sentiment_lexicon.csv")}],
        "escalation_keywords": [
            {"term": term.lower(), "priority": priority}
            for term, priority in sorted(settings.escalation.keywords.items())
        ],
        "escalation_rules": [
            {
                "customer_tier": rule.customer_tier.lower() if rule.customer_tier else None,
                "tag": rule.tag.lower() if rule.tag else None,
                "priority": rule.priority,
            }
            for rule in settings.escalation.rules
        ],
        "merge_settings": [
            {
                "window_hours": settings.merge.window_hours,
                "subject_similarity": settings.merge.subject_similarity,
                "follow_up_patterns": list(settings.merge.follow_up_patterns),
            }
        ],
        "staffing_settings": [
            {
                "target_backlog_days": settings.staffing.target_backlog_days,
                "drain_within_days": settings.staffing.drain_within_days,
            }
        ],
        "nature_rules": nature_rows,
        "digest_schedule": [
            {"report_weekday": weekday, "days_covered": days}
            for weekday, days in days_covered_by_weekday(settings.schedule.daily_cron).items()
        ],
        "driver_settings": [
            {
                "ignore_tags": [tag.lower() for tag in settings.drivers.ignore_tags],
                "spike_min_tickets": settings.drivers.spike_min_tickets,
                "spike_z": settings.drivers.spike_z,
            }
        ],
    }
    rows.update(business_hours_rows(settings))
    for table, mapping in (
        ("work_weights", work.weights),
        ("urgency_by_priority", work.urgency),
        ("value_by_tier", work.customer_value),
    ):
        rows[table] = [
            {"name": name.lower(), "value": value} for name, value in sorted(mapping.items())
        ]
    return rows


def business_hours_rows(settings: Settings) -> dict[str, Rows]:
    """The business-hours config tables: schedule versions, weekly hours, holidays, groups;
    every one empty without [business_hours]."""
    tables: dict[str, Rows] = {
        "business_schedule_versions": [],
        "business_weekly_hours": [],
        "business_holidays": [],
        "business_schedule_groups": [],
    }
    if settings.business_hours is None:
        return tables
    package = version("holidays")
    for name, schedule in settings.business_hours.all_schedules().items():
        for valid_from, zone, hours in schedule.versions():
            tables["business_schedule_versions"].append(
                {
                    "schedule_name": name,
                    "valid_from": valid_from,
                    "timezone": zone,
                    "holiday_country": schedule.holiday_country,
                    "holiday_subdivision": schedule.holiday_subdivision,
                    "holidays_version": package if schedule.holiday_country else None,
                }
            )
            tables["business_weekly_hours"] += [
                {
                    "schedule_name": name,
                    "valid_from": valid_from,
                    "iso_weekday": weekday,
                    "opens_minute": opens,
                    "closes_minute": closes,
                }
                for weekday, opens, closes in hours.intervals()
            ]
        tables["business_holidays"] += [
            {"schedule_name": name, "holiday_date": day} for day in sorted(set(schedule.holidays))
        ]
        tables["business_schedule_groups"] += [
            {"group_name": group, "schedule_name": name} for group in schedule.groups
        ]
    return tables


def session_variables(settings: Settings) -> dict[str, Any]:
    """The session variables the models read: time zones and each pattern list as one.

    One combined expression per list, so a text is matched once by a compiled pattern;
    `^$` when the list is empty.
    """
    nature_patterns = [p for patterns in settings.nature.rules.values() for p in patterns]
    return {
        "report_timezone": settings.report_timezone,
        "source_timezone": settings.source_timezone,
        "has_ack_patterns": bool(settings.ack_patterns),
        "ack_pattern": _one_pattern(settings.ack_patterns),
        "follow_up_pattern": _one_pattern(settings.merge.follow_up_patterns),
        "nature_pattern": _one_pattern(nature_patterns),
        "kb_excluded_types": [t.lower() for t in settings.kb.feature_request_types] or [""],
        "kb_excluded_tags": [t.lower() for t in settings.kb.feature_request_tags] or [""],
    }


def _one_pattern(patterns: list[str]) -> str:
    return "|".join(f"(?:{pattern})" for pattern in patterns) or "^$"


def write_config_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Write every `config.*` table from its file and the settings; False when unchanged.

    The tables are rewritten only when their files, rows or seeds differ from what the
    warehouse last recorded in `ops.config_written` (one query otherwise).
    """
    rows = config_rows(settings)
    files = {path.stem: path for path in sorted((SQL_DIR / "config").glob("*.sql"))}
    missing = set(files) ^ set(rows)
    if missing:
        raise BacklogError(
            f"Config tables {sorted(missing)} need both a file in sql/config/ and rows "
            "from the settings (tasks/warehouse/config_tables.py)."
        )
    fingerprint = _fingerprint(files, rows)
    last = con.execute("select fingerprint from ops.config_written").fetchone()
    if last is not None and last[0] == fingerprint:
        return False
    con.execute("begin transaction")
    try:
        for table, path in files.items():
            *ddl, insert = split_statements(path.read_text(encoding="utf-8"))
            for statement in ddl:
                con.execute(statement)
            if rows[table]:
                con.executemany(insert, rows[table])
        con.execute("delete from ops.config_written")
        con.execute(
            "insert into ops.config_written values ($fingerprint, now())",
            {"fingerprint": fingerprint},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return True


def _fingerprint(files: dict[str, Any], rows: dict[str, Rows]) -> str:
    """The files' text, the rows and the seed files' bytes, hashed."""
    digest = hashlib.sha256()
    for table, path in files.items():
        digest.update(f"{table}\n{path.read_text(encoding='utf-8')}\n".encode())
        digest.update(json.dumps(rows[table], sort_keys=True, default=str).encode())
    for seed in sorted((SQL_DIR / "seeds").glob("*")):
        digest.update(seed.name.encode() + b"\n" + seed.read_bytes())
    return digest.hexdigest()
