"""A batch of days in one transaction: the same warehouse as day by day, fatal days alone."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks import extensions, ingest, quality, warehouse
from tasks.config import Settings, load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tests.support.paths import FIXTURES
from tests.support.tables import differing_rows

SMALL = FIXTURES / "canonical" / "small"
# Columns that are a time of writing, not what was loaded.
WRITE_TIMES = {
    "ops.loads": ["loaded_at"],
    "ops.load_failures": ["failed_at"],
    "ops.schema_migrations": ["applied_at"],
    "ops.config_written": ["written_at"],
}
# One stored GX run per load day by day, one per entity and batch in batches: compared apart.
RUNS = "ops.validation_runs"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six generated days, then the hand-written days with planted bad rows, twice.

    2026-03-02 and 2026-03-04 are the same files (planted bad rows): their row numbers
    collide in a batch's one GX frame, so a wrong split between them shows. 2026-03-03
    has no events file.
    """
    root = tmp_path_factory.mktemp("batch") / "exports"
    generate_exports(root, SyntheticConfig(start=date(2026, 1, 1), days=6, tickets_per_day=15))
    shutil.copytree(SMALL / "2026-03-02", root / "2026-03-02")
    shutil.copytree(SMALL / "2026-03-03", root / "2026-03-03")
    shutil.copytree(SMALL / "2026-03-02", root / "2026-03-04")
    return root


def _settings(tmp_path: Path, name: str) -> Settings:
    return load_settings(db_path=tmp_path / f"{name}.duckdb", out_dir=tmp_path / name)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name in ('raw', 'staging', 'ops') "
            "order by all"
        ).fetchall()
    ]


def _differences(con: duckdb.DuckDBPyConnection, other: Path) -> dict[str, int]:
    """Rows of each table that are not in `other`'s table (either way), write times left out."""
    con.execute(f"attach '{other}' as other (read_only)")
    found = {}
    for table in _tables(con):
        if table == RUNS:
            continue
        dropped = WRITE_TIMES.get(table)
        columns = f"* exclude ({', '.join(dropped)})" if dropped else "*"
        found[table] = differing_rows(con, table, f"other.{table}", columns)
    con.execute("detach other")
    return found


def test_a_batch_gives_the_warehouse_of_loading_day_by_day(exports, tmp_path):
    days = ingest.discover_exports(exports)
    assert len(days) == 9
    runner = quality.SuiteRunner()
    one_by_one = _settings(tmp_path, "days")
    with warehouse.connect(one_by_one) as con:
        for day in days:
            ingest.load_day(con, day, exports, runner=runner)
    batched = _settings(tmp_path, "batch")
    with warehouse.connect(batched) as con:
        outcomes = ingest.load_days(con, days, exports, runner=runner)
        assert [outcome.export_date for outcome in outcomes] == [day.export_date for day in days]
        differences = _differences(con, one_by_one.db_path)
        assert {table: n for table, n in differences.items() if n} == {}
        # the tables compared are not empty: quarantined rows and checks per day
        quarantined = con.execute(
            "select export_date, entity, count(*) from ops.quarantine group by all order by all"
        ).fetchall()
        runs = con.execute(f"select load_id from {RUNS} order by load_id").fetchall()
    # the planted rows of 2026-03-02 (test_ingest.py): 7 tickets, 1 event; on its copy of
    # 2026-03-04 6 tickets: row 8 (created 2026-03-05) is no longer after the next day
    assert [row for row in quarantined if row[0] >= date(2026, 3, 1)] == [
        (date(2026, 3, 2), "events", 1),
        (date(2026, 3, 2), "tickets", 7),
        (date(2026, 3, 4), "events", 1),
        (date(2026, 3, 4), "tickets", 6),
    ]
    assert "ops.validation_results" in differences
    assert "staging.stg_events" in differences
    # one GX run per entity for the batch: the Data Docs show one page per batch and entity
    assert [load_id[:36] for (load_id,) in runs] == [
        "2026-01-01..2026-03-04/events/batch-",
        "2026-01-01..2026-03-04/tickets/batch",
    ]


def _without_column(source: Path, target: Path, column: str) -> None:
    """Copy a day's folder with one column of tickets.csv left out."""
    shutil.copytree(source, target)
    with (source / "tickets.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = [name for name in rows[0] if name != column]
    assert len(names) == len(rows[0]) - 1
    with (target / "tickets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_a_fatal_day_in_a_batch_fails_alone(exports, tmp_path, con):
    root = tmp_path / "exports"
    shutil.copytree(exports / "2026-01-02", root / "2026-01-02")
    _without_column(exports / "2026-01-03", root / "2026-01-03", "requester_id")
    shutil.copytree(exports / "2026-01-04", root / "2026-01-04")
    # 2026-01-05: every row is quarantined (found only once the batch is validated)
    shutil.copytree(SMALL / "2026-03-03", root / "2026-01-05")
    shutil.copytree(exports / "2026-01-06", root / "2026-01-06")
    outcomes = ingest.load_days(con, ingest.discover_exports(root), root)
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "DayLoad",
        "ExportFileError",
        "DayLoad",
        "ExportFileError",
        "DayLoad",
    ]
    loaded = con.execute("select distinct export_date from ops.loads order by 1").fetchall()
    assert loaded == [(date(2026, 1, 2),), (date(2026, 1, 4),), (date(2026, 1, 6),)]
    failures = dict(con.execute("select export_date, message from ops.load_failures").fetchall())
    # the messages a day-by-day load gives (test_bad_exports.py)
    assert failures[date(2026, 1, 3)] == str(outcomes[1])
    assert "tickets.csv lacks the required column requester_id" in str(outcomes[1])
    assert str(root / "2026-01-05" / "tickets.csv") in failures[date(2026, 1, 5)]
    assert "not one of its 2 rows can be loaded" in failures[date(2026, 1, 5)]
    # nothing of the fatal days, and no temp table left behind
    for table in ("raw.tickets", "staging.stg_ticket_versions", "ops.quarantine"):
        (count,) = con.execute(
            f"select count(*) from {table} where export_date in ('2026-01-03', '2026-01-05')"
        ).fetchone()
        assert count == 0, table
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    # the same day alone fails with the same sentence
    with pytest.raises(ingest.ExportFileError) as raised:
        ingest.load_day(con, ingest.export_day(root, date(2026, 1, 3)), root)
    assert str(raised.value) == str(outcomes[1])


def test_a_crash_inside_a_batch_leaves_complete_days_only(exports, con, monkeypatch):
    days = ingest.discover_exports(exports)
    assert ingest.load_days(con, days[:3], exports)  # an earlier batch, committed
    before = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in _tables(con)
    }
    real = quality.volume_checks
    checked: list[date] = []

    def check_then_crash(connection, day, settings):
        checked.append(day)
        if len(checked) == 2:  # the batch's second day: its rows and the first day's written
            raise KeyboardInterrupt
        return real(connection, day, settings)

    monkeypatch.setattr(quality, "volume_checks", check_then_crash)
    with pytest.raises(KeyboardInterrupt):
        ingest.load_days(con, days[3:6], exports)
    assert checked == [days[3].export_date, days[4].export_date]
    after = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in _tables(con)
    }
    assert after == before
    loaded = con.execute("select count(distinct export_date) from ops.loads").fetchone()
    assert loaded == (3,)
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    # the batch loads whole when run again
    monkeypatch.setattr(quality, "volume_checks", real)
    ingest.load_days(con, days[3:6], exports)
    assert con.execute("select count(distinct export_date) from ops.loads").fetchone() == (6,)


def test_backfill_batches_cut_the_range_in_weeks():
    days = [date(2026, 1, d) for d in range(1, 17)]  # 16 days: 7 + 7 + 2
    batches = ingest.backfill_batches(days)
    assert [len(batch) for batch in batches] == [7, 7, 2]
    assert [day for batch in batches for day in batch] == days


@pytest.mark.parametrize(
    "expectation",
    [
        # a share of rows: its verdict is not the sum of the files' failing rows
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "solved_at", "mostly": 0.3},
            "meta": {"severity": "warn"},
        },
        # a table-level expectation: no failing rows at all, a count per run
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 10},
            "meta": {"severity": "warn"},
        },
    ],
    ids=["mostly", "table"],
)
def test_an_extension_suite_that_does_not_split_is_run_file_by_file(exports, tmp_path, expectation):
    folder = tmp_path / "ext" / "expectations" / "tickets"
    folder.mkdir(parents=True)
    (folder / "extra.json").write_text(json.dumps(expectation), "utf-8")
    ext = extensions.Extensions(dirs=(tmp_path / "ext",))
    days = ingest.discover_exports(exports)
    runner = quality.SuiteRunner()
    checks = "select * from ops.validation_results where expectation = ? order by load_id"
    found = []
    for name in ("days", "batch"):
        with warehouse.connect(_settings(tmp_path, name)) as con:
            if name == "days":
                for day in days:
                    ingest.load_day(con, day, exports, ext=ext, runner=runner)
            else:
                ingest.load_days(con, days, exports, ext=ext, runner=runner)
            found.append(con.execute(checks, [expectation["type"]]).fetchall())
            runs = con.execute(f"select entity, count(*) from {RUNS} group by 1 order by 1")
            found.append(runs.fetchall())
    by_day, by_day_runs, batched, batched_runs = found
    assert batched == by_day
    # verdicts that differ between the days: some files pass, some fail
    assert {row[6] for row in batched} == {True, False}
    assert batched_runs == [("events", 1), ("tickets", 9)]  # tickets: one run per file
    assert by_day_runs == [("events", 8), ("tickets", 9)]  # 2026-03-03 has no events file


def test_batches_staged_ahead_give_the_warehouse_of_batches_in_turn(exports, tmp_path):
    """The backfill reads and types batch N+1 on a second connection while batch N loads."""
    root = tmp_path / "exports"
    shutil.copytree(exports, root, ignore=shutil.ignore_patterns("2026-01-05"))
    # fatal while read (a required column missing), in a batch staged ahead
    _without_column(exports / "2026-01-05", root / "2026-01-05", "requester_id")
    # fatal once validated (every row quarantined), in another batch staged ahead
    shutil.copytree(SMALL / "2026-03-03", root / "2026-02-01")
    batches = ingest.backfill_batches(ingest.discover_exports(root), 3)
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]
    runner = quality.SuiteRunner()
    in_turn = _settings(tmp_path, "in_turn")
    with warehouse.connect(in_turn) as con:
        expected = [
            type(outcome).__name__
            for batch in batches
            for outcome in ingest.load_days(con, batch, root, runner=runner)
        ]
    assert expected.count("ExportFileError") == 2
    ahead_settings = _settings(tmp_path, "ahead")
    with (
        warehouse.connect(ahead_settings) as con,
        ingest.StageAhead(con, root, ahead_settings.quality) as ahead,
    ):
        for _ in range(2):  # the second time every loaded day is unchanged
            found = []
            for index, batch in enumerate(batches):
                staged = ahead.take(batch)
                assert (staged is None) == (index == 0)
                if index + 1 < len(batches):
                    ahead.start(batches[index + 1])
                outcomes = ingest.load_days(con, batch, root, runner=runner, staged=staged)
                found += [type(outcome).__name__ for outcome in outcomes]
            assert found == expected
            differences = _differences(con, in_turn.db_path)
            assert {table: n for table, n in differences.items() if n} == {}
        failures = con.execute("select export_date from ops.load_failures order by 1").fetchall()
        assert failures == [(date(2026, 1, 5),), (date(2026, 2, 1),)]
        # a batch other than the one staged ahead is staged anew
        ahead.start(batches[0])
        assert ahead.take(batches[1]) is None
        ahead.start(batches[0])
    assert ahead.take(batches[0]) is None  # leaving the block dropped what was staged
