"""Build the SQL models: every `sql/<layer>/<name>.sql` becomes table `<layer>.<name>`.

The order is found from the references between models (`staging.x`,
`intermediate.y`, `marts.z` in a model's text), so adding a model is adding
a file. Each model is a plain `select`. Project extension folders
(`extensions_dirs`, see tasks/extensions.py) add models and invariants in the
same layout; they are built in one dependency order with the shipped models.

A build is full or incremental (`plan_build` decides; `ops.model_builds` remembers
what the last build saw). A model says how it can be updated in a comment line:

    -- incremental: ticket_id     its rows for a ticket depend only on that ticket
                                   (and, for recontacts, its requester's tickets); an
                                   incremental build replaces the rows of the tickets in
                                   temp table `scope_tickets`, which the model's inputs
                                   read through (`where ticket_id in (select ticket_id
                                   from scope_tickets)`)
    -- incremental: report_date   one or more rows per report day; an incremental build
                                   replaces the days from variable `build_from` (the
                                   lookback window) and keeps the older days' rows

Any other model is rebuilt whole (`create or replace table`) every time. A full build
runs the same SQL with every ticket in scope and `build_from` before the first day, so
both kinds of build run one definition of each model.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from tasks import extensions, warehouse
from tasks.errors import BacklogError

LAYERS = ("staging", "intermediate", "marts")
REFERENCE = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
INCREMENTAL = re.compile(r"^--\s*incremental:\s*(\w+)\s*$", re.MULTILINE)
KEYS = ("ticket_id", "report_date")
EARLIEST = date(1, 1, 1)
BUILD_DIR = warehouse.SQL_DIR / "build"


@dataclass(frozen=True)
class Model:
    """One SQL model file and the table it builds."""

    layer: str
    name: str
    path: Path

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def key(self) -> str | None:
        """`ticket_id` or `report_date` when the model can be updated incrementally."""
        found = INCREMENTAL.search(self.sql())
        if found is None:
            return None
        if found.group(1) not in KEYS:
            raise BacklogError(
                f"SQL model {self.path} says 'incremental: {found.group(1)}'; use one of "
                f"{', '.join(KEYS)}, or remove the line to rebuild it whole."
            )
        return found.group(1)


@dataclass(frozen=True)
class BuildPlan:
    """What one build does: full or incremental, why, and its scope."""

    full: bool
    reason: str
    build_from: date = EARLIEST
    new_loads: tuple[str, ...] = ()
    fingerprint: str = ""


def discover_models(
    sql_dir: Path = warehouse.SQL_DIR, extra_dirs: Sequence[Path] = ()
) -> list[Model]:
    """Every model file, in an order where each runs after the models it reads.

    `extra_dirs` are extension `sql/` folders (none unless given);
    an extension model may not replace a shipped one.
    """
    models: dict[str, Model] = {}
    for folder in (sql_dir, *extra_dirs):
        for layer in LAYERS:
            for path in sorted((folder / layer).glob("*.sql")):
                table = f"{layer}.{path.stem}"
                if table in models:
                    raise BacklogError(
                        f"SQL model {path} builds {table}, which {models[table].path} already "
                        "builds; give your model another name."
                    )
                models[table] = Model(layer, path.stem, path)
    graph = {
        table: {
            f"{layer}.{name}"
            for layer, name in REFERENCE.findall(_strip_comments(model.sql()))
            if f"{layer}.{name}" in models and f"{layer}.{name}" != table
        }
        for table, model in models.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise BacklogError(
            f"SQL models reference each other in a cycle ({' -> '.join(exc.args[1])}); "
            "break the cycle."
        ) from exc
    return [models[table] for table in order]


def build_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = warehouse.SQL_DIR,
    ext: extensions.Extensions = extensions.NONE,
    lookback_days: int = 7,
    full: bool = False,
    timings: dict[str, float] | None = None,
) -> BuildPlan:
    """Bring every model up to date with what is loaded, in one transaction; the plan run.

    Incremental when the last build's models, configuration and loads still hold (see
    `plan_build`), else full (`full=True` forces it). `ext` (default: the active ones)
    adds models and sets the driver dimension (`getvariable('driver_dimension')`);
    `timings`, when given, receives each model's seconds (benchmarks/run.py).
    """
    chosen = ext
    con.execute("set variable driver_dimension = ?", [chosen.driver_dimension])
    found = discover_models(sql_dir, chosen.model_dirs())
    con.execute("begin transaction")
    try:
        plan = plan_build(con, found, lookback_days, force_full=full)
        _set_scope(con, plan)
        for model in found:
            started = time.perf_counter()
            try:
                con.execute(_statement(model, plan))
            except duckdb.Error as exc:
                raise BacklogError(
                    f"SQL model {_shown(model.path, sql_dir)} failed "
                    f"({str(exc).splitlines()[0]}); fix the model and run again."
                ) from exc
            if timings is not None:
                timings[model.table] = time.perf_counter() - started
        _record(con, plan)
        warehouse.commit_without_vacuum(con)
    except BaseException:
        con.execute("rollback")
        raise
    return plan


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
    fingerprint = _fingerprint(con, found, lookback_days)
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
            "current_database() and table_schema = ? and table_name = ?",
            [model.layer, model.name],
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


def _fingerprint(con: duckdb.DuckDBPyConnection, found: Sequence[Model], lookback: int) -> str:
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
    _set_scope(con, BuildPlan(full=True, reason="a model run on its own"))


def _set_scope(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Temp table `scope_tickets` and variable `build_from` for this build."""
    con.execute("set variable build_from = ?::date", [plan.build_from])
    if plan.full:
        con.execute(
            "create or replace temp table scope_tickets as "
            "select ticket_id from staging.stg_ticket_versions "
            "union select ticket_id from staging.stg_events"
        )
        return
    con.execute("create or replace temp table new_loads (load_id varchar primary key)")
    if plan.new_loads:
        con.executemany("insert into new_loads values (?)", [[load] for load in plan.new_loads])
    con.execute(
        "create or replace temp table scope_tickets as "
        + (BUILD_DIR / "scope_tickets.sql").read_text(encoding="utf-8")
    )


def _statement(model: Model, plan: BuildPlan) -> str:
    """The SQL that brings one model's table up to date under the plan."""
    if plan.full or model.key is None:
        return f"create or replace table {model.table} as {model.sql()}"
    if model.key == "ticket_id":
        in_scope = "ticket_id in (select ticket_id from scope_tickets)"
    else:
        in_scope = "report_date >= getvariable('build_from')"
    return (
        f"delete from {model.table} where {in_scope};\n"
        f"insert into {model.table} select * from ({model.sql()}) where {in_scope}"
    )


def _record(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Remember what this build saw: the next build starts from here."""
    con.execute("delete from ops.model_builds")
    con.execute(
        "insert into ops.model_builds select now(), ?, ?, ?, "
        "(select list(load_id order by load_id) from ops.loads), "
        "(select count(*) from scope_tickets)",
        [plan.full, plan.reason, plan.fingerprint],
    )


def _shown(path: Path, sql_dir: Path) -> Path:
    """A shipped model relative to the project, an extension model as it is."""
    return path.relative_to(sql_dir.parent) if path.is_relative_to(sql_dir) else path


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def failing_invariants(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = warehouse.SQL_DIR,
    extra_dirs: Sequence[Path] = (),
) -> dict[str, int]:
    """Run every `sql/tests/*.sql`, shipped and extension (each returns the breaking rows).

    Returns the tests that returned rows, with how many; empty when all hold.
    """
    failing = {}
    for path in [p for d in (sql_dir, *extra_dirs) for p in sorted((d / "tests").glob("*.sql"))]:
        count = con.execute(
            f"select count(*) from ({path.read_text(encoding='utf-8')})"
        ).fetchone()[0]
        if count:
            failing[path.stem] = count
    return failing
