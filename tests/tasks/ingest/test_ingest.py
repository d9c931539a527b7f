"""Canonical ingest: ledger, quarantine, formats, idempotency, replacement, atomicity."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks import ingest, quality, warehouse
from tasks.config import load_settings
from tasks.errors import BacklogError
from tasks.quality import suites


def load_all(
    con: duckdb.DuckDBPyConnection, root: Path, runner: quality.SuiteRunner | None = None
) -> list[ingest.DayLoad]:
    runner = runner or quality.SuiteRunner()
    return [ingest.load_day(con, day, root, runner=runner) for day in ingest.discover_exports(root)]


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [
        "raw.tickets",
        "raw.events",
        "staging.stg_ticket_versions",
        "staging.stg_events",
        "ops.loads",
        "ops.quarantine",
        "ops.validation_results",
    ]
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_ledger_counts_and_quarantine_reasons(con, small_exports):
    load_all(con, small_exports)
    ledger = con.execute(
        "select export_date, entity, rows_read, rows_loaded, rows_quarantined, extra_columns "
        "from ops.loads order by export_date, entity"
    ).fetchall()
    assert ledger == [
        (date(2026, 3, 2), "events", 6, 5, 1, []),
        (date(2026, 3, 2), "tickets", 11, 4, 7, ["product_area"]),
        (date(2026, 3, 3), "tickets", 2, 2, 0, []),
    ]
    reasons = dict(
        con.execute(
            "select row_number, reason from ops.quarantine where entity = 'tickets'"
        ).fetchall()
    )
    assert reasons == {
        3: "exact copy of another row (folded)",  # the later copy is kept
        5: "created_at is missing or is not an ISO 8601 timestamp",
        6: "status is not one of new, open, pending, hold, solved, closed, deleted",
        7: "updated_at is before created_at",
        8: "created_at is more than a day after the export date",
        9: "superseded by a later row with the same ticket_id",
        11: "ticket_id is missing or is not a value",
    }
    (event_reason,) = con.execute(
        "select reason from ops.quarantine where entity = 'events'"
    ).fetchone()
    assert event_reason.startswith("kind is not one of")
    # the quarantined row is kept as it was read
    (record,) = con.execute(
        "select record from ops.quarantine where entity = 'tickets' and row_number = 5"
    ).fetchone()
    assert json.loads(record)["created_at"] == "yesterday"


def test_ledger_invariant_holds_for_every_file(con, small_exports):
    load_all(con, small_exports)
    rows = con.execute(
        """
        select l.load_id, l.rows_read, l.rows_loaded, l.rows_quarantined,
            (select count(*) from ops.quarantine q where q.load_id = l.load_id),
            (select count(*) from raw.tickets r where r.load_id = l.load_id)
                + (select count(*) from raw.events r where r.load_id = l.load_id)
        from ops.loads l
        """
    ).fetchall()
    for _, read, loaded, quarantined, in_quarantine, in_raw in rows:
        assert read == loaded + quarantined
        assert quarantined == in_quarantine
        assert read == in_raw
    staged = con.execute(
        "select (select count(*) from staging.stg_ticket_versions) "
        "+ (select count(*) from staging.stg_events)"
    ).fetchone()[0]
    assert staged == sum(row[2] for row in rows)


def test_timestamps_in_every_offset_style_and_naive_source_zone(tmp_path, small_exports):
    settings = load_settings(db_path=tmp_path / "b.duckdb", source_timezone="Europe/Berlin")
    with warehouse.connect(settings) as con:
        load_all(con, small_exports)
        rows = dict(
            con.execute(
                "select ticket_id, strftime(created_at, '%Y-%m-%d %H:%M') "
                "from staging.stg_ticket_versions where export_date = '2026-03-02'"
            ).fetchall()
        )
    assert rows["T1"] == "2026-03-02 09:00"  # Z
    assert rows["T2"] == "2026-03-02 10:00"  # +01:00
    assert rows["T3"] == "2026-03-02 11:00"  # naive, read in Europe/Berlin (UTC+1 in March)


def test_extra_columns_kept_as_json(con, small_exports):
    load_all(con, small_exports)
    (extra,) = con.execute(
        "select extra from staging.stg_ticket_versions where ticket_id = 'T1'"
    ).fetchone()
    assert json.loads(extra) == {"product_area": "auth"}
    tags = con.execute(
        "select tags from staging.stg_ticket_versions where ticket_id = 'T1'"
    ).fetchone()[0]
    assert tags == ["login", "sso"]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_load_like_csv(tmp_path, small_exports, fmt):
    root = tmp_path / "exports"
    shutil.copytree(small_exports, root)
    convert = duckdb.connect()
    for csv_file in root.rglob("*.csv"):
        target = csv_file.with_suffix(f".{fmt}")
        if fmt == "parquet":
            # tags as a real list, as Parquet exports carry them
            convert.execute(
                f"copy (select * replace (string_split(tags, ';') as tags) "
                f"from read_csv('{csv_file}', all_varchar = true)) to '{target}' (format parquet)"
                if "tickets" in csv_file.name
                else f"copy (select * from read_csv('{csv_file}', all_varchar = true)) "
                f"to '{target}' (format parquet)"
            )
        else:
            convert.execute(
                f"copy (select * from read_csv('{csv_file}', all_varchar = true)) "
                f"to '{target}' (format json)"
            )
        csv_file.unlink()
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    with warehouse.connect(settings) as con:
        load_all(con, root)
        ledger = con.execute(
            "select entity, rows_read, rows_loaded, rows_quarantined from ops.loads "
            "order by export_date, entity"
        ).fetchall()
        tags = con.execute(
            "select tags from staging.stg_ticket_versions where ticket_id = 'T1'"
        ).fetchone()[0]
    assert ledger == [("events", 6, 5, 1), ("tickets", 11, 4, 7), ("tickets", 2, 2, 0)]
    assert tags == ["login", "sso"]


def test_same_files_twice_change_nothing(con, small_exports):
    load_all(con, small_exports)
    before = table_counts(con)
    loaded_at = con.execute("select list(loaded_at order by load_id) from ops.loads").fetchone()
    second = load_all(con, small_exports)
    assert all(day.skipped for day in second)
    assert table_counts(con) == before
    assert con.execute("select list(loaded_at order by load_id) from ops.loads").fetchone() == (
        loaded_at
    )


def test_corrected_reexport_replaces_the_day(con, small_exports, tmp_path):
    root = tmp_path / "exports"
    shutil.copytree(small_exports, root)
    load_all(con, root)
    corrected = root / "2026-03-02" / "tickets.csv"
    header = corrected.read_text().splitlines()[0]
    corrected.write_text(
        header + "\nT1,2026-03-02T09:00:00Z,2026-03-02T11:00:00Z,solved,r1,high,incident,"
        "email,enterprise,Cannot log in,login,2026-03-02T11:00:00Z,,auth\n"
    )
    (root / "2026-03-02" / "events.csv").unlink()
    day = ingest.export_day(root, date(2026, 3, 2))
    result = ingest.load_day(con, day, root)
    assert not result.skipped
    assert con.execute(
        "select ticket_id, status from staging.stg_ticket_versions where export_date = '2026-03-02'"
    ).fetchall() == [("T1", "solved")]
    assert con.execute("select count(*) from staging.stg_events").fetchone()[0] == 0
    assert (
        con.execute(
            "select count(*) from ops.quarantine where export_date = '2026-03-02'"
        ).fetchone()[0]
        == 0
    )
    assert con.execute(
        "select entity, rows_read from ops.loads where export_date = '2026-03-02'"
    ).fetchall() == [("tickets", 1)]
    # the other day is untouched
    assert (
        con.execute(
            "select count(*) from staging.stg_ticket_versions where export_date = '2026-03-03'"
        ).fetchone()[0]
        == 2
    )


def test_every_failing_row_of_a_large_file_is_quarantined_with_its_reason(con, tmp_path):
    """Thousands of failing rows: each one quarantined with the first check it fails; the
    stored GX result keeps every check's counts and none of the failing-row lists."""
    folder = tmp_path / "exports" / "2026-03-02"
    folder.mkdir(parents=True)
    rows = 3000
    lines = ["ticket_id,created_at,updated_at,status,requester_id,priority"]
    expected = {}
    for i in range(1, rows + 1):
        status = "reopened" if i % 3 == 0 else "open"
        updated = "2026-03-02T08:00:00Z" if i % 7 == 0 else "2026-03-02T10:00:00Z"
        priority = "meh" if i % 5 == 0 else "normal"  # warn: the row loads
        lines.append(f"T{i},2026-03-02T09:00:00Z,{updated},{status},r{i},{priority}")
        if i % 3 == 0:  # the status check comes first in the suite
            expected[i] = "status is not one of new, open, pending, hold, solved, closed, deleted"
        elif i % 7 == 0:
            expected[i] = "updated_at is before created_at"
    (folder / "tickets.csv").write_text("\n".join(lines) + "\n")
    root = tmp_path / "exports"
    (file,) = ingest.load_day(con, ingest.export_day(root, date(2026, 3, 2)), root).files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (
        rows,
        rows - len(expected),
        len(expected),
    )
    assert dict(con.execute("select row_number, reason from ops.quarantine").fetchall()) == (
        expected
    )
    counts = {
        (expectation, column): count
        for expectation, column, count in con.execute(
            "select expectation, column_name, unexpected_count from ops.validation_results"
        ).fetchall()
    }
    assert counts[("expect_column_values_to_be_in_set", "status")] == rows // 3
    assert counts[
        ("expect_column_pair_values_a_to_be_greater_than_b", "updated_at,created_at")
    ] == (rows // 7)
    assert counts[("expect_column_values_to_be_in_set", "priority")] == rows // 5
    (stored,) = con.execute("select result from ops.validation_runs").fetchone()
    results = json.loads(stored)["results"]
    assert len(results) == len(
        json.loads(quality.suite_path("tickets").read_text())["expectations"]
    )
    for item in results:
        kwargs = item["expectation_config"]["kwargs"]
        column = kwargs.get("column") or f"{kwargs['column_A']},{kwargs['column_B']}"
        key = (item["expectation_config"]["type"], column)
        assert item["result"]["unexpected_count"] == counts[key], key
        assert not set(item["result"]) & set(quality.rows.ROW_LISTS), key


def test_a_days_commit_does_not_rewrite_earlier_row_groups(con, small_exports):
    """The checkpoint of a day's commit leaves earlier days' row groups as they are
    (DuckDB's vacuum would merge and recompress them), and DuckDB's setting as it was."""
    con.execute("set checkpoint_threshold = '1KB'")  # every commit checkpoints, as a big day's
    con.execute("set max_vacuum_tasks = 7")
    load_all(con, small_exports)
    (groups,) = con.execute(
        "select count(distinct row_group_id) from pragma_storage_info('raw.tickets')"
    ).fetchone()
    assert groups == 2  # one per day
    assert con.execute("select current_setting('max_vacuum_tasks')").fetchone() == (7,)


@pytest.fixture
def gx_set_ups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads that build a GX set-up, as they do."""
    built: list[str] = []
    real = suites._Gx

    def recorded(ext=None):
        built.append(threading.current_thread().name)
        if built == ["gx-preload"] and getattr(recorded, "fail_in_background", False):
            raise RuntimeError("no GX in the background")
        return real(ext)

    monkeypatch.setattr(suites, "_Gx", recorded)
    return built


def test_preloaded_gx_is_set_up_once_in_the_background(con, small_exports, gx_set_ups):
    runner = quality.SuiteRunner()
    thread = runner.preload()
    assert thread is not None
    assert runner.preload() is None  # already under way
    # the first validation waits for the set-up, then every load of the run uses it
    load_all(con, small_exports, runner)
    thread.join()
    assert gx_set_ups == ["gx-preload"]
    assert con.execute("select count(*) from ops.validation_runs").fetchone() == (3,)


def test_a_failed_preload_is_set_up_again_by_the_first_validation(con, small_exports, gx_set_ups):
    suites._Gx.fail_in_background = True
    runner = quality.SuiteRunner()
    thread = runner.preload()
    assert thread is not None
    thread.join()
    load_all(con, small_exports, runner)
    assert gx_set_ups == ["gx-preload", "MainThread"]
    assert con.execute("select count(*) from ops.validation_runs").fetchone() == (3,)


def test_runners_share_nothing(gx_set_ups):
    """A runner is its caller's: another runner builds its own set-up; none is global."""
    first = quality.SuiteRunner()
    assert first.gx() is first.gx()
    assert quality.SuiteRunner().gx() is not first.gx()
    assert gx_set_ups == ["MainThread", "MainThread"]


def test_fatal_file_rolls_back_the_whole_day(con, small_exports, tmp_path):
    root = tmp_path / "exports"
    shutil.copytree(small_exports, root)
    events = root / "2026-03-02" / "events.csv"
    events.write_text("event_id,ticket,occurred_at,kind\ne1,T1,2026-03-02T09:00:00Z,comment\n")
    with pytest.raises(BacklogError) as error:
        ingest.load_day(con, ingest.export_day(root, date(2026, 3, 2)), root)
    message = str(error.value)
    assert "events.csv" in message
    assert "ticket_id" in message
    assert "\n" not in message
    assert all(count == 0 for count in table_counts(con).values())


def test_required_column_missing_names_file_and_column(con, tmp_path):
    day = tmp_path / "exports" / "2026-03-02"
    day.mkdir(parents=True)
    (day / "tickets.csv").write_text(
        "ticket_id,Created At,updated_at,status,requester_id\n"
        "T1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,new,r1\n"
    )
    with pytest.raises(
        BacklogError,
        match=r"tickets\.csv lacks the required column created_at "
        r"\('Created At' looks like 'created_at'\)",
    ):
        ingest.load_day(
            con, ingest.export_day(tmp_path / "exports", date(2026, 3, 2)), tmp_path / "exports"
        )


def test_exact_case_variant_of_a_column_is_read(con, tmp_path):
    """`Created_At` is created_at in other case: read as it, and noted (not a warning)."""
    day = tmp_path / "exports" / "2026-03-02"
    day.mkdir(parents=True)
    (day / "tickets.csv").write_text(
        "ticket_id,Created_At,updated_at,status,requester_id\n"
        "T1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,new,r1\n"
    )
    result = ingest.load_day(
        con, ingest.export_day(tmp_path / "exports", date(2026, 3, 2)), tmp_path / "exports"
    )
    assert result.files[0].renamed_columns == {"Created_At": "created_at"}
    assert con.execute(
        "select check_name, severity, message from ops.quality_checks where not success"
    ).fetchall() == [
        ("column_case", "info", "2026-03-02/tickets.csv: column 'Created_At' read as created_at")
    ]


def test_missing_export_folder_is_one_clear_sentence(tmp_path):
    with pytest.raises(
        BacklogError, match=r"^No export for 2026-03-09 under .*; expected a folder"
    ):
        ingest.export_day(tmp_path, date(2026, 3, 9))


def test_kill_mid_load_leaves_the_warehouse_as_before(settings, small_exports, tmp_path):
    """A process killed inside the load transaction leaves no trace of that load."""
    root = tmp_path / "exports"
    shutil.copytree(small_exports, root)
    with warehouse.connect(settings) as con:
        ingest.load_day(con, ingest.export_day(root, date(2026, 3, 2)), root)
        before = table_counts(con)
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        from pathlib import Path
        from tasks import ingest, quality, warehouse
        from tasks.config import load_settings

        real = quality.volume_checks
        def check_then_die(*args, **kwargs):
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction: the day's rows written
        quality.volume_checks = check_then_die
        settings = load_settings(db_path=Path({str(settings.db_path)!r}))
        con = warehouse.connect(settings)
        root = Path({str(root)!r})
        ingest.load_day(con, ingest.export_day(root, date(2026, 3, 3)), root)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert done.returncode == -9, done.stderr.decode()
    with warehouse.connect(settings) as con:
        assert table_counts(con) == before
        assert (
            con.execute(
                "select count(*) from ops.loads where export_date = '2026-03-03'"
            ).fetchone()[0]
            == 0
        )


def test_second_run_waits_then_stops_with_a_clear_message(tmp_path):
    db = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); "
            "print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        settings = load_settings(db_path=db, out_dir=tmp_path / "out", lock_timeout_seconds=1)
        with pytest.raises(BacklogError) as caught:
            warehouse.connect(settings)
        busy = (
            f"The warehouse {db} is in use by another run or by a program that opened it (a "
            "notebook, a BI tool), waited 1 s; "
        )
        # no readers' copy yet (or none, above readers_copy_max_gb): none to point to
        assert str(caught.value) == (
            f"{busy}close it or wait for the run to finish, then try again."
        )
        copy = tmp_path / "out" / "busy-latest.duckdb"
        copy.parent.mkdir()
        copy.touch()
        with pytest.raises(BacklogError) as caught:
            warehouse.connect(settings)
        # names the warehouse file and what to open instead
        assert str(caught.value) == (
            f"{busy}analysts and BI tools should open the read-only copy {copy} instead; "
            "close it or wait for the run to finish, then try again."
        )
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_importing_the_ingest_changes_no_process_state():
    """No csv limit, environment or GX import at import time; they happen when used."""
    script = (
        "import csv, os, sys; default = csv.field_size_limit(); "
        "import flows.cli, tasks.ingest, tasks.quality, tasks.adapters; "
        "print(csv.field_size_limit() == default, 'GX_ANALYTICS_ENABLED' in os.environ, "
        "'great_expectations' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "GX_ANALYTICS_ENABLED"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.split() == ["True", "False", "False"]


def test_a_field_longer_than_the_csv_default_limit_is_one_field(con, tmp_path):
    """csv's default limit is 128 KiB; a longer description still loads as one field."""
    day = tmp_path / "exports" / "2026-03-02"
    day.mkdir(parents=True)
    description = "x" * (300 * 1024)
    (day / "tickets.csv").write_text(
        "ticket_id,created_at,updated_at,status,requester_id,description\n"
        f'T1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,new,r1,"{description}"\n'
    )
    root = tmp_path / "exports"
    ingest.load_day(con, ingest.export_day(root, date(2026, 3, 2)), root)
    assert con.execute(
        "select length(description) from staging.stg_ticket_versions"
    ).fetchall() == [(len(description),)]
