"""Open the warehouse file safely and set up the session the models run in."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.errors import BacklogError
from tasks.warehouse.config_tables import session_variables, write_config_tables
from tasks.warehouse.migrations import upgrade

# rows a statement of `insert_rows` (a load's 14 check rows stay one statement)
INSERT_CHUNK = 200


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, waiting for another run's lock up to the configured time.

    DuckDB allows one writing process per file; a second run waits here and then
    stops with a clear message instead of touching the file. The connection comes back
    set up (`prepare`): session settings, an up-to-date schema, the config tables.
    """
    con = open_file(settings)
    prepare(con, settings)
    return con


def open_file(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection to `settings.db_path`, once no other process holds the lock."""
    path = settings.db_path
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.lock_timeout_seconds
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise BacklogError(
                    f"Cannot open the warehouse {path} ({str(exc).splitlines()[0]}); "
                    "check the path and that it is a DuckDB file."
                ) from exc
            if time.monotonic() >= deadline:
                raise BacklogError(lock_message(settings)) from exc
            time.sleep(0.5)


def lock_message(settings: Settings) -> str:
    """What to say when another process holds the warehouse: which file, and what to open
    instead of it for reading (the readers' copy, when there is one: a warehouse above
    `readers_copy_max_gb` has none)."""
    instead = (
        f"analysts and BI tools should open the read-only copy {settings.readers_copy_path} "
        "instead; "
        if settings.readers_copy and settings.readers_copy_path.exists()
        else ""
    )
    return (
        f"The warehouse {settings.db_path} is in use by another run or by a program that "
        f"opened it (a notebook, a BI tool), waited {settings.lock_timeout_seconds:.0f} s; "
        f"{instead}close it or wait for the run to finish, then try again."
    )


def prepare(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Session settings, then the schema (when behind) and the config tables (when changed).

    On a current warehouse with unchanged settings this runs the session `set`s and two
    reads (the schema version, the config fingerprint) and no DDL.
    """
    configure_session(con, settings)
    upgrade(con)
    write_config_tables(con, settings)


def configure_session(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Memory and spill settings, UTC session time zone, the session variables the models read.

    DuckDB keeps to `[warehouse] memory_limit` by spilling to `temp_directory` (beside
    the warehouse unless set). Insertion order is not preserved: every reader orders
    what it shows, and without it DuckDB can stream large inserts and `create table as`
    instead of holding them to keep their order. ASOF joins always run as ASOF joins: on
    a left side it guesses to be small, DuckDB would otherwise plan a nested loop over
    every pair and keep the latest; the business clocks' join of 235,000 instants with
    a schedule's intervals became 71 million rows that way (fct_ticket_metrics: 2.9 CPU
    s instead of 0.75 at 10,000 tickets a day).
    """
    limits = resource_settings(settings)
    con.execute("set memory_limit = $value", {"value": limits["memory_limit"]})
    con.execute("set temp_directory = $value", {"value": limits["temp_directory"]})
    con.execute("set preserve_insertion_order = false")
    con.execute("set asof_loop_join_threshold = 0")
    con.execute("set TimeZone = 'UTC'")
    for name, value in session_variables(settings).items():
        con.execute(f"set variable {name} = $value", {"value": value})


def resource_settings(settings: Settings) -> dict[str, str]:
    """DuckDB's memory limit and spill folder for this warehouse (see `configure_session`)."""
    folder = settings.warehouse.temp_directory or f"{settings.db_path}.tmp"
    return {"memory_limit": settings.warehouse.memory_limit, "temp_directory": str(folder)}


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


def session_twin(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to `con`'s database with `con`'s session: for a thread's work.

    DuckDB keeps some settings (the time zone, which also writes timestamps as text; the
    ASOF threshold) and the variables per connection; the twin gets `con`'s values of
    both. Temp tables stay each connection's own.
    """
    twin = con.cursor()
    query = "select name, value from duckdb_settings() where scope = 'LOCAL'"
    mine = dict(twin.execute(query).fetchall())
    for name, value in con.execute(query).fetchall():
        if mine.get(name) != value:
            twin.execute(f'set "{name}" = $value', {"value": value})
    for (name,) in con.execute("select name from duckdb_variables()").fetchall():
        (value,) = con.execute("select getvariable($name)", {"name": name}).fetchone()
        twin.execute(f'set variable "{name}" = $value', {"value": value})
    return twin


def insert_rows(con: duckdb.DuckDBPyConnection, insert: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run `insert` (an insert statement up to its `values`) for every row, `INSERT_CHUNK`
    rows a statement.

    DuckDB's `executemany` runs the statement once per row (about half a millisecond
    each, measured: 6.9 ms for a load's 14 check rows, 1.4 ms as one statement). Up to
    `INSERT_CHUNK` rows are one statement; more are `executemany` of one statement of
    `INSERT_CHUNK` rows, prepared once and run per chunk, then one statement for the rest:
    a statement of every row costs more per row as it grows (parsing and binding rows x
    columns parameters; measured 0.15 ms a row at 5,000 rows, 0.03 ms in chunks of 200).
    Rows go in order; with `insert or replace`, a key repeated among them keeps its last
    row, as row-by-row inserts would.
    """
    if not rows:
        return
    marks = "(" + ", ".join("?" * len(rows[0])) + ")"
    full = len(rows) - len(rows) % INSERT_CHUNK if len(rows) > INSERT_CHUNK else 0
    if full:
        con.executemany(
            f"{insert} {', '.join([marks] * INSERT_CHUNK)}",
            [
                [value for row in rows[start : start + INSERT_CHUNK] for value in row]
                for start in range(0, full, INSERT_CHUNK)
            ],
        )
    rest = rows[full:]
    if rest:
        con.execute(
            f"{insert} {', '.join([marks] * len(rest))}", [value for row in rest for value in row]
        )
