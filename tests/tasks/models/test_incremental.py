"""The incremental build gives what a full rebuild gives (issue 10).

One generated history per mode (with events, snapshots only). Warehouse `full` loads
every day and builds once, in full. Warehouse `daily` builds in full after day N-3, then
loads and builds day by day as the morning run does; some of day N-2's events arrive
late, in day N's export. Then every model table of the two is compared row for row.

Days 1..N-3 are loaded once per mode (`prefix.duckdb`, no model built) and each warehouse
starts from a copy of that file: the loads are most of the cost, and a copy of a loaded
warehouse is the warehouse those loads make.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tasks import ingest, models, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.models import runner
from tests.support.loading import load_exports
from tests.support.tables import differing_rows

START = date(2026, 3, 2)
DAYS = 30
LAST = START + timedelta(days=DAYS - 1)


def _move_late_events(exports: Path, source: date, target: date, count: int) -> None:
    """Take the last `count` events of `source`'s export and append them to `target`'s."""

    def read(path: Path) -> tuple[list[str], list[list[str]]]:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        return rows[0], rows[1:]

    def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *rows])

    source_path = exports / source.isoformat() / "events.csv"
    target_path = exports / target.isoformat() / "events.csv"
    header, rows = read(source_path)
    target_header, target_rows = read(target_path)
    assert header == target_header
    write(source_path, header, rows[:-count])
    write(target_path, header, target_rows + rows[-count:])


def _connect(tmp: Path, name: str, **overrides: Any) -> duckdb.DuckDBPyConnection:
    settings = load_settings(db_path=tmp / f"{name}.duckdb", out_dir=tmp / "out", **overrides)
    return warehouse.connect(settings)


def _load(con: duckdb.DuckDBPyConnection, exports: Path, days: list[date]) -> None:
    load_exports(con, exports, days=[ingest.export_day(exports, day) for day in days])


@pytest.fixture(scope="module", params=[True, False], ids=["events", "snapshots"])
def history(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"incremental-{request.param}")
    exports = tmp / "exports"
    generate_exports(
        exports,
        SyntheticConfig(start=START, days=DAYS, seed=5, with_events=request.param),
    )
    if request.param:
        _move_late_events(exports, LAST - timedelta(days=2), LAST, 25)
    days = [START + timedelta(days=n) for n in range(DAYS)]
    with _connect(tmp, "prefix") as con:
        _load(con, exports, days[:-3])
        assert con.execute("select count(*) from ops.model_builds").fetchone()[0] == 0
    with _from_prefix(tmp, "full") as con:
        _load(con, exports, days[-3:])
        plan = models.build_models(con, lookback_days=60)
        assert plan.full
        loaded = con.execute("select count(distinct export_date) from ops.loads").fetchone()
        assert loaded == (DAYS,)
    return tmp, exports, days


def _from_prefix(tmp: Path, name: str, **overrides: Any) -> duckdb.DuckDBPyConnection:
    """A warehouse `name` holding days 1..N-3 as loaded (a copy of the module's prefix)."""
    shutil.copyfile(tmp / "prefix.duckdb", tmp / f"{name}.duckdb")
    return _connect(tmp, name, **overrides)


def _model_tables() -> list[str]:
    return [model.table for model in models.discover_models()]


def _differences(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> int:
    """Rows in one warehouse and not the other (both ways, duplicates counted)."""
    return differing_rows(con, table, f"full_db.{table}", where=where)


def _build_day_by_day(
    tmp: Path, exports: Path, days: list[date], name: str, lookback: int
) -> tuple[duckdb.DuckDBPyConnection, list[models.BuildPlan]]:
    con = _from_prefix(tmp, name)
    plans = [models.build_models(con, lookback_days=lookback)]
    for day in days[-3:]:
        _load(con, exports, [day])
        plans.append(models.build_models(con, lookback_days=lookback))
    con.execute(f"attach '{tmp / 'full.duckdb'}' as full_db (read_only)")
    return con, plans


def test_incremental_builds_equal_a_full_rebuild(history):
    tmp, exports, days = history
    con, plans = _build_day_by_day(tmp, exports, days, "daily", lookback=60)
    try:
        assert plans[0].full
        assert [plan.full for plan in plans[1:]] == [False, False, False]
        tickets = con.execute("select count(*) from staging.stg_tickets").fetchone()[0]
        in_scope = con.execute("select tickets_in_scope from ops.model_builds").fetchone()[0]
        assert 0 < in_scope < tickets / 2  # the last build touched the day's tickets only
        differing = {table: _differences(con, table) for table in _model_tables()}
        assert {table: n for table, n in differing.items() if n} == {}
        assert models.failing_invariants(con) == {}

        # a build with nothing new changes nothing
        again = models.build_models(con, lookback_days=60)
        assert not again.full
        assert again.new_loads == ()
        assert con.execute("select tickets_in_scope from ops.model_builds").fetchone()[0] == 0
        differing = {table: _differences(con, table) for table in _model_tables()}
        assert {table: n for table, n in differing.items() if n} == {}
    finally:
        con.close()


def test_a_short_lookback_recomputes_only_its_days(history):
    tmp, exports, days = history
    con, plans = _build_day_by_day(tmp, exports, days, "short", lookback=5)
    try:
        assert plans[-1].build_from == LAST - timedelta(days=4)
        window = f"report_date >= date '{plans[-1].build_from}'"
        for model in models.discover_models():
            where = window if model.key == "report_date" else "true"
            assert _differences(con, model.table, where) == 0, model.table
        # the older days are kept, not dropped
        kept = con.execute(
            "select count(distinct report_date) from marts.fct_open_tickets"
        ).fetchone()[0]
        assert (
            kept
            == con.execute(
                "select count(distinct report_date) from full_db.marts.fct_open_tickets"
            ).fetchone()[0]
        )
    finally:
        con.close()


def test_what_incremental_cannot_follow_rebuilds_in_full(history):
    tmp, exports, days = history
    con = _from_prefix(tmp, "changes")
    try:
        _load(con, exports, days[-3:-1])
        assert models.build_models(con).full
        _load(con, exports, days[-1:])
        assert not models.build_models(con).full

        # a configuration the models read changed: a new SLA target
        con.close()
        con = _connect(
            tmp, "changes", sla={"normal": {"first_reply_minutes": 60, "resolution_minutes": 600}}
        )
        plan = models.build_models(con)
        assert plan.full
        assert "configuration" in plan.reason

        # a corrected re-export of a day the last build read
        path = exports / days[-2].isoformat() / "tickets.csv"
        original = path.read_bytes()
        try:
            path.write_bytes(original.rstrip(b"\r\n").rsplit(b"\n", 1)[0] + b"\n")
            _load(con, exports, [days[-2]])
            plan = models.build_models(con)
            assert plan.full
            assert "re-export" in plan.reason
        finally:
            path.write_bytes(original)

        # asked for
        assert models.build_models(con, full=True).full
        assert models.failing_invariants(con) == {}
    finally:
        con.close()


@pytest.mark.parametrize("history", [True], indirect=True, ids=["events"])
def test_a_full_build_within_a_small_memory_limit_equals_the_unlimited_one(history):
    """`[warehouse] memory_limit` binds: the build does not fit 64 MB without spilling
    (DuckDB stops out of memory), and with the spill folder beside the warehouse it
    completes and every model table equals the unlimited build's (`full`, built at the
    default limit, a quarter of this machine's memory)."""
    tmp, _, _ = history
    limit = {"warehouse": {"memory_limit": "64MB"}}
    for name in ("no-spill", "limited"):
        shutil.copyfile(tmp / "full.duckdb", tmp / f"{name}.duckdb")

    with _connect(tmp, "no-spill", **limit) as con:
        con.execute("set temp_directory = ''")  # DuckDB may not spill: the build must fit
        with pytest.raises(BacklogError, match="Out of Memory"):
            models.build_models(con, full=True)

    with _connect(tmp, "limited", **limit) as con:
        setting = (
            "select current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('preserve_insertion_order')"
        )
        found = con.execute(setting).fetchone()
        assert found == ("61.0 MiB", f"{tmp / 'limited.duckdb'}.tmp", False)  # 64e6 B
        plan = models.build_models(con, lookback_days=60, full=True)
        assert plan.full
        con.execute(f"attach '{tmp / 'full.duckdb'}' as full_db (read_only)")
        differing = {table: _differences(con, table) for table in _model_tables()}
        assert {table: n for table, n in differing.items() if n} == {}
        rows = con.execute("select count(*) from marts.fct_work_next").fetchone()[0]
        assert rows > 0


@pytest.mark.parametrize("history", [True], indirect=True, ids=["events"])
def test_a_full_build_stopped_midway_is_full_again(history, monkeypatch):
    """A full build commits model by model: one that stops midway leaves no build
    remembered, so the next build is full again (not incremental on half-built models)."""
    tmp, _, _ = history
    shutil.copyfile(tmp / "full.duckdb", tmp / "stopped.duckdb")
    built: list[str] = []
    original = runner._build_one

    def stop_at_the_fifth(con, model, *args):
        if len(built) == 4:
            raise KeyboardInterrupt
        built.append(model.table)
        original(con, model, *args)

    with _connect(tmp, "stopped") as con:
        monkeypatch.setattr(runner, "_build_one", stop_at_the_fifth)
        with pytest.raises(KeyboardInterrupt):
            models.build_models(con, full=True)
        monkeypatch.undo()
        assert len(built) == 4
        assert con.execute("select count(*) from ops.model_builds").fetchone()[0] == 0
        plan = models.build_models(con)
        assert plan.full
        assert plan.reason == "the first build"
