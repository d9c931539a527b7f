"""Build the SQL models: every `sql/<layer>/<name>.sql` becomes table `<layer>.<name>`.

The order is found from the references between models (`staging.x`,
`intermediate.y`, `marts.z` in a model's text), so adding a model is adding
a file. Each model is a plain `select`, checked after it is built against its entry in
`sql/<layer>/_models.toml` (tasks/models/manifest.py). Project extension folders
(`extensions_dirs`, see tasks/extensions.py) add models and invariants in the
same layout; they are built in one dependency order with the shipped models.

A build is full or incremental (`plan_build` decides; `ops.model_builds` remembers
what the last build saw). A model says how it can be updated in a comment line:

    -- incremental: ticket_id     its rows for a ticket depend only on that ticket
                                   (and, for recontacts, its requester's tickets); an
                                   incremental build replaces the rows of the tickets in
                                   temp table `scope_tickets`, which the model's inputs
                                   read through (`where in_scope(ticket_id)`, a macro
                                   that is `true` in a full build; `ticket_id in (select
                                   ticket_id from scope_tickets)` works too); the
                                   loaded events and ticket versions of the scope's
                                   tickets are `scope_events` and
                                   `scope_ticket_versions` (read once per build)
    -- incremental: report_date   one or more rows per report day; an incremental build
                                   replaces the days from variable `build_from` (the
                                   lookback window) and keeps the older days' rows

Any other model is rebuilt whole (`create or replace table`) every time. A full build
runs the same SQL with every ticket in scope and `build_from` before the first day, so
both kinds of build run one definition of each model.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from tasks import extensions, warehouse
from tasks.errors import BacklogError
from tasks.models.discover import Model, discover_models, shown
from tasks.models.manifest import ModelSpec, check_model, load_manifest, write_comments
from tasks.models.open_intervals import ensure_open_intervals
from tasks.models.plan import (
    BuildPlan,
    forget_builds,
    plan_build,
    rebuilt_rows,
    record,
    set_scope,
    statement,
)


def build_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = warehouse.SQL_DIR,
    ext: extensions.Extensions = extensions.NONE,
    lookback_days: int = 7,
    full: bool = False,
    timings: dict[str, float] | None = None,
) -> BuildPlan:
    """Bring every model up to date with what is loaded; the plan run.

    An incremental build is one transaction. A full build commits and checkpoints after
    each model, so its memory is one model's, not the whole build's; until its last
    commit no build is remembered (`ops.model_builds`), and a build stopped midway is
    full again next time.

    Incremental when the last build's models, configuration and loads still hold (see
    `plan_build`), else full (`full=True` forces it). `ext` (default: none)
    adds models and sets the driver dimension (`getvariable('driver_dimension')`);
    `timings`, when given, receives each model's seconds (benchmarks/run.py).

    After each model is built it is checked against its manifest entry
    (`sql/<layer>/_models.toml`; see `manifest.check_model`: the rows the build
    replaced, or the whole table when its key does not hold the incremental key); a
    model without one is not checked. Then the manifest's descriptions become the
    tables' and columns' comments.
    """
    con.execute("set variable driver_dimension = $value", {"value": ext.driver_dimension})
    found = discover_models(sql_dir, ext.model_dirs())
    specs = load_manifest([sql_dir, *ext.model_dirs()])
    con.execute("begin transaction")
    try:
        ensure_open_intervals(con)
        plan = plan_build(con, found, lookback_days, force_full=full)
        if plan.full:
            # A full build commits model by model (below); until it ends, no build is
            # remembered, so a crash midway leaves the next run a full build again.
            forget_builds(con)
            con.execute("commit")
            con.execute("begin transaction")
        set_scope(con, plan)
        for model in found:
            started = time.perf_counter()
            _build_one(con, model, plan, specs, sql_dir)
            if plan.full:
                # one model at a time: its old table and the transaction's data are let go
                # before the next (a year at a large org does not fit one transaction)
                con.execute("commit")
                con.execute("checkpoint")
                con.execute("begin transaction")
            if timings is not None:
                timings[model.table] = time.perf_counter() - started
        write_comments(con, list(specs.values()))
        record(con, plan)
        warehouse.commit_without_vacuum(con)
    except BaseException:
        con.execute("rollback")
        raise
    return plan


def _build_one(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    plan: BuildPlan,
    specs: dict[str, ModelSpec],
    sql_dir: Path,
) -> None:
    """Build one model under the plan, then check it against its manifest entry."""
    try:
        con.execute(statement(model, plan))
    except duckdb.Error as exc:
        raise BacklogError(
            f"SQL model {shown(model.path, sql_dir)} failed "
            f"({str(exc).splitlines()[0]}); fix the model and run again."
        ) from exc
    spec = specs.get(model.table)
    if spec is not None:
        scope = rebuilt_rows(model, plan)
        check_model(con, spec, scope if scope and model.key in spec.key else None)


def rebuild_models(
    con: duckdb.DuckDBPyConnection, tables: list[str], sql_dir: Path = warehouse.SQL_DIR
) -> None:
    """Rebuild the named shipped models whole, check them and comment them, in the caller's
    transaction: for a step that changes what a few models read after the build (the KB
    refresh and its two marts)."""
    found = {model.table: model for model in discover_models(sql_dir)}
    specs = load_manifest([sql_dir])
    for table in tables:
        model = found[table]
        con.execute(f"create or replace table {table} as {model.sql()}")
        if table in specs:
            check_model(con, specs[table], None)
    write_comments(con, [specs[table] for table in tables if table in specs])
