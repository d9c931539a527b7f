"""Plan a build: full or incremental, its scope, and what `ops.model_builds` remembers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from tasks.models.discover import Model
from tasks.warehouse import read_sql

EARLIEST = date(1, 1, 1)
SCOPE_QUERY = "queries/models/scope_tickets.sql"


@dataclass(frozen=True)
class BuildPlan:
    """What one build does: full or incremental, why, and its scope."""

    full: bool
    reason: str
    build_from: date = EARLIEST
    new_loads: tuple[str, ...] = ()
    fingerprint: str = ""


def plan_build(
    con: duckdb.DuckDBPyConnection,
    found: Sequence[Model],
    lookback_days: int,
    force_full: bool = False,
) -> BuildPlan:
    """Full or incremental, and from which day; read from `ops.model_builds` and the loads.

    Full when asked, on the first build, when a model's SQL, the configuration or the
    lookback changed, when a load the last build saw was replaced (a corrected
    re-export), or when the history's start moved (an older day or event loaded).
    Otherwise incremental: the tickets of the loads not built yet (and the tickets whose
    recontact depends on them), and the report days from the lookback window's start.
    """
    fingerprint = build_fingerprint(con, found, lookback_days)
    last = con.execute(
        "select fingerprint, load_ids from ops.model_builds order by built_at desc limit 1"
    ).fetchone()
    loads = dict(con.execute("select load_id, export_date from ops.loads").fetchall())
    new_loads = tuple(sorted(set(loads) - set(last[1]))) if last else tuple(sorted(loads))
    missing = [
        model.table
        for model in found
        if not con.execute(
            "select count(*) from information_schema.tables where table_catalog = "
            "current_database() and table_schema = $layer and table_name = $name",
            {"layer": model.layer, "name": model.name},
        ).fetchone()[0]
    ]
    if force_full:
        reason = "a full rebuild was asked for"
    elif last is None:
        reason = "the first build"
    elif missing:
        reason = f"{missing[0]} does not exist yet"
    elif last[0] != fingerprint:
        reason = "the models, the configuration or the history's first day changed"
    elif set(last[1]) - set(loads):
        reason = "a load the last build read was replaced (a corrected re-export)"
    else:
        last_day = max(loads.values(), default=EARLIEST)
        window_start = last_day - timedelta(days=lookback_days - 1)
        build_from = min([window_start, *(loads[load] for load in new_loads)])
        return BuildPlan(
            full=False,
            reason=f"{len(new_loads)} new loads; report days from {build_from}",
            build_from=build_from,
            new_loads=new_loads,
            fingerprint=fingerprint,
        )
    return BuildPlan(full=True, reason=reason, new_loads=new_loads, fingerprint=fingerprint)


def build_fingerprint(con: duckdb.DuckDBPyConnection, found: Sequence[Model], lookback: int) -> str:
    """What a model's rows depend on beyond the tickets: SQL, configuration, history start."""
    digest = hashlib.sha256()
    for model in found:
        digest.update(f"{model.table}\n{model.sql()}\n".encode())
    digest.update(f"lookback {lookback}\n".encode())
    for name in VARIABLES:
        value = con.execute(f"select getvariable('{name}')::varchar").fetchone()[0]
        digest.update(f"{name}={value}\n".encode())
    for (table,) in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'config' "
        "order by table_name"
    ).fetchall():
        rows = con.execute(
            f"select coalesce(string_agg(t::varchar, chr(10) order by t::varchar), '') "
            f"from config.{table} as t"
        ).fetchone()[0]
        digest.update(f"{table}\n{rows}\n".encode())
    # the history's start: the first export (backlog before it, carried-over tickets) and
    # the first event (replies before it come from the ticket rows)
    starts = con.execute(
        "select (select min(export_date) from ops.loads)::varchar, "
        "(select min(occurred_at) from staging.stg_events)::varchar"
    ).fetchone()
    digest.update(f"starts {starts}\n".encode())
    return digest.hexdigest()


# the session variables the models read (set by warehouse.connect and build_models)
VARIABLES = (
    "driver_dimension",
    "report_timezone",
    "source_timezone",
    "ack_pattern",
    "has_ack_patterns",
    "follow_up_pattern",
    "nature_pattern",
)


def set_full_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Every ticket and every day in scope: run a model's SQL on its own as a full build."""
    set_scope(con, BuildPlan(full=True, reason="a model run on its own"))


def set_scope(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Temp table `scope_tickets`, macro `in_scope(ticket_id)`, variable `build_from`, and
    the scope's rows of the loaded tables: `scope_events`, `scope_ticket_versions`.

    `in_scope(ticket_id)` is how a model's inputs keep the tickets in scope: `true` in a
    full build, so DuckDB drops the test instead of probing every row against every
    ticket (a fifth of some models' time); in an incremental build, whether the ticket
    is in `scope_tickets`. `scope_events` and `scope_ticket_versions` are
    the columns of `staging.stg_events` and `staging.stg_ticket_versions` the models read
    (`SCOPED_TABLES`), restricted to the scope: in an incremental build temp tables read
    once here (each model reading the history's events for a few thousand tickets was a
    scan of every event per model), in a full build views of the whole tables.
    """
    con.execute("set variable build_from = $day::date", {"day": plan.build_from})
    if plan.full:
        con.execute("create or replace temp macro in_scope(any_ticket_id) as true")
        con.execute(
            "create or replace temp table scope_tickets as "
            "select ticket_id from staging.stg_ticket_versions "
            "union select ticket_id from staging.stg_events"
        )
        for name, (table, columns) in SCOPED_TABLES.items():
            _drop_temp(con, name)
            con.execute(f"create temp view {name} as select {', '.join(columns)} from {table}")
        return
    con.execute(
        "create or replace temp table scope_tickets as " + read_sql(SCOPE_QUERY),
        {"new_loads": list(plan.new_loads)},
    )
    # after the table: DuckDB binds the macro's subquery when it is created
    con.execute(
        "create or replace temp macro in_scope(any_ticket_id) as "
        "any_ticket_id in (select ticket_id from scope_tickets)"
    )
    for name, (table, columns) in SCOPED_TABLES.items():
        _drop_temp(con, name)
        con.execute(
            f"create temp table {name} as select {', '.join(columns)} from {table} "
            "where ticket_id in (select ticket_id from scope_tickets)"
        )


# the loaded tables the ticket-keyed models read for the tickets in scope (set_scope): the
# columns they read (copying a version's texts, tags and JSON cost three times the rest;
# stg_tickets, which keeps every column, reads staging.stg_ticket_versions itself)
_ROW_ORDER = ("load_id", "export_date", "row_number", "ticket_id")
_EVENT_COLUMNS = (
    "occurred_at",
    "kind",
    "from_value",
    "to_value",
    "author_role",
    "is_public",
    "body",
)
SCOPED_TABLES = {
    "scope_events": ("staging.stg_events", (*_ROW_ORDER, *_EVENT_COLUMNS)),
    "scope_ticket_versions": (
        "staging.stg_ticket_versions",
        (*_ROW_ORDER, "updated_at", "solved_at", "status", "assignee_id", "group_name"),
    ),
}


def _drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop temp table or view `name` (a full build's view, an incremental build's table)."""
    found = con.execute(
        "select table_type from information_schema.tables "
        "where table_catalog = 'temp' and table_name = $name",
        {"name": name},
    ).fetchone()
    if found is not None:
        kind = "view" if found[0] == "VIEW" else "table"
        con.execute(f"drop {kind} temp.{name}")


def rebuilt_rows(model: Model, plan: BuildPlan) -> str | None:
    """The condition on the rows an incremental build replaces; None when it replaces all."""
    if plan.full or model.key is None:
        return None
    if model.key == "ticket_id":
        return "ticket_id in (select ticket_id from scope_tickets)"
    return "report_date >= getvariable('build_from')"


def statement(model: Model, plan: BuildPlan) -> str:
    """The SQL that brings one model's table up to date under the plan."""
    in_scope = rebuilt_rows(model, plan)
    if in_scope is None:
        return f"create or replace table {model.table} as {model.sql()}"
    return (
        f"delete from {model.table} where {in_scope};\n"
        f"insert into {model.table} select * from ({model.sql()}) where {in_scope}"
    )


def forget_builds(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the last build: the next one is full (a full build that did not finish)."""
    con.execute("delete from ops.model_builds")


def record(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Remember what this build saw: the next build starts from here."""
    con.execute("delete from ops.model_builds")
    con.execute(
        "insert into ops.model_builds select now(), $full, $reason, $fingerprint, "
        "coalesce((select list(load_id order by load_id) from ops.loads), []), "
        "(select count(*) from scope_tickets)",
        {"full": plan.full, "reason": plan.reason, "fingerprint": plan.fingerprint},
    )
