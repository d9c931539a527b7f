"""The DuckDB warehouse: open it safely, create its fixed tables, find SQL files."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from tasks.config import Settings
from tasks.errors import BacklogError

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def read_sql(relative: str) -> str:
    """The text of a file under `sql/`."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, waiting for another run's lock up to the configured time.

    DuckDB allows one writing process per file; a second run waits here and then
    stops with a clear message instead of touching the file.
    """
    path = settings.db_path
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.lock_timeout_seconds
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise BacklogError(
                    f"Cannot open the warehouse {path} ({str(exc).splitlines()[0]}); "
                    "check the path and that it is a DuckDB file."
                ) from exc
            if time.monotonic() >= deadline:
                raise BacklogError(
                    f"The warehouse {path} is in use by another run; waited "
                    f"{settings.lock_timeout_seconds:.0f} s. Try again when it has finished."
                ) from exc
            time.sleep(0.5)
    configure(con, settings)
    return con


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Session settings, the fixed tables, and the config tables the models read."""
    con.execute("set TimeZone = 'UTC'")
    con.execute("set variable report_timezone = ?", [settings.report_timezone])
    con.execute("set variable source_timezone = ?", [settings.source_timezone])
    for schema_file in sorted((SQL_DIR / "schema").glob("*.sql"), key=_core_first):
        con.execute(schema_file.read_text(encoding="utf-8"))
    con.execute(
        "create or replace table config.sla_targets "
        "(priority varchar primary key, first_reply_minutes double, resolution_minutes double)"
    )
    con.executemany(
        "insert into config.sla_targets values (?, ?, ?)",
        [
            [priority, target.first_reply_minutes, target.resolution_minutes]
            for priority, target in sorted(settings.sla.items())
        ],
    )
    # one combined pattern, so each comment is matched once by a compiled expression
    con.execute("set variable has_ack_patterns = ?", [bool(settings.ack_patterns)])
    con.execute(
        "set variable ack_pattern = ?",
        ["|".join(f"(?:{pattern})" for pattern in settings.ack_patterns) or "^$"],
    )
    con.execute("create or replace table config.ack_patterns (pattern varchar)")
    if settings.ack_patterns:
        con.executemany(
            "insert into config.ack_patterns values (?)", [[p] for p in settings.ack_patterns]
        )
    work = settings.work
    con.execute(
        "create or replace table config.work_settings as select ?::double as stale_days, "
        "?::integer as batch_min_size",
        [work.stale_days, work.batch_min_size],
    )
    for table, mapping in (
        ("work_weights", work.weights),
        ("urgency_by_priority", work.urgency),
        ("value_by_tier", work.customer_value),
    ):
        con.execute(
            f"create or replace table config.{table} (name varchar primary key, value double)"
        )
        con.executemany(
            f"insert into config.{table} values (?, ?)",
            [[name.lower(), value] for name, value in sorted(mapping.items())],
        )
    con.execute(
        "create or replace table config.sentiment_lexicon as "
        "select lower(term) as term, polarity::integer as polarity "
        "from read_csv(?, header = true, all_varchar = true)",
        [str(SQL_DIR / "seeds" / "sentiment_lexicon.csv")],
    )
    _coaching_tables(con, settings)
    con.execute(
        "create or replace table config.driver_settings as select ?::varchar[] as "
        "ignore_tags, ?::integer as spike_min_tickets, ?::double as spike_z",
        [
            [t.lower() for t in settings.drivers.ignore_tags],
            settings.drivers.spike_min_tickets,
            settings.drivers.spike_z,
        ],
    )


def _core_first(path: Path) -> tuple[bool, str]:
    """`schema/core.sql` creates the schemas, so it runs before the feature files."""
    return (path.stem != "core", path.stem)


def _coaching_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Escalation, merge, staffing and nature settings as tables the models join."""
    con.execute(
        "create or replace table config.escalation_keywords (term varchar, priority varchar)"
    )
    keywords = sorted(settings.escalation.keywords.items())
    if keywords:
        con.executemany(
            "insert into config.escalation_keywords values (?, ?)",
            [[term.lower(), priority] for term, priority in keywords],
        )
    con.execute(
        "create or replace table config.escalation_rules "
        "(customer_tier varchar, tag varchar, priority varchar)"
    )
    if settings.escalation.rules:
        con.executemany(
            "insert into config.escalation_rules values (?, ?, ?)",
            [
                [
                    rule.customer_tier.lower() if rule.customer_tier else None,
                    rule.tag.lower() if rule.tag else None,
                    rule.priority,
                ]
                for rule in settings.escalation.rules
            ],
        )
    merge = settings.merge
    con.execute(
        "create or replace table config.merge_settings as select ?::double as window_hours, "
        "?::double as subject_similarity, ?::varchar[] as follow_up_patterns",
        [merge.window_hours, merge.subject_similarity, merge.follow_up_patterns],
    )
    con.execute(
        "set variable follow_up_pattern = ?",
        ["|".join(f"(?:{pattern})" for pattern in merge.follow_up_patterns) or "^$"],
    )
    staffing = settings.staffing
    con.execute(
        "create or replace table config.staffing_settings as select "
        "?::double as target_backlog_days, ?::integer as drain_within_days",
        [staffing.target_backlog_days, staffing.drain_within_days],
    )
    con.execute(
        "create or replace table config.nature_rules "
        "(nature varchar, rule_order integer, pattern varchar, is_automatable boolean)"
    )
    rows = [
        [nature, order, pattern, nature in settings.nature.automatable]
        for order, (nature, patterns) in enumerate(settings.nature.rules.items())
        for pattern in patterns
    ]
    if rows:
        con.executemany("insert into config.nature_rules values (?, ?, ?, ?)", rows)
    # any rule's pattern, compiled once: tickets no rule matches skip the per-rule tests
    con.execute(
        "set variable nature_pattern = ?",
        ["|".join(f"(?:{row[2]})" for row in rows) or "^$"],
    )


def commit_without_vacuum(con: duckdb.DuckDBPyConnection) -> None:
    """Commit a large transaction (a day's load, a model build) without row-group vacuum.

    A large commit checkpoints the tables it wrote. By default DuckDB then also vacuums
    them: it merges the new row groups with the partly filled ones before them and
    rewrites (recompresses) them all, 2-3 s a day's load at 10,000 tickets a day for no
    faster reads (measured, DECISIONLOG.md). Without it each day's rows stay in their
    own row groups. The setting is DuckDB-wide; it is restored at once.
    """
    (previous,) = con.execute("select current_setting('max_vacuum_tasks')").fetchone()
    con.execute("set max_vacuum_tasks = 0")
    try:
        con.execute("commit")
    finally:
        con.execute(f"set max_vacuum_tasks = {int(previous)}")


def defer_vacuum(con: duckdb.DuckDBPyConnection) -> None:
    """Leave DuckDB's row-group vacuum out of this connection's checkpoints (the morning run).

    An incremental build deletes and re-inserts the rows it replaces; by default the
    checkpoint when the connection closes then merges and recompresses every row group
    with deleted rows: 6-20 s of a 10,000-tickets-a-day morning. Measured over four
    mornings at that scale, the file without it was 0.3% larger (6.22 against 6.20 GiB):
    freed row groups are reused. The next connection that checkpoints with the default
    (the weekly review, a backfill, any other command) vacuums what is left.
    """
    con.execute("set max_vacuum_tasks = 0")
