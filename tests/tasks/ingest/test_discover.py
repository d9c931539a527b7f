"""An exports folder laid out wrongly, or a date outside the exports, is one sentence."""

from __future__ import annotations

from datetime import date

import pytest

from tasks import ingest
from tasks.errors import BacklogError


def test_a_day_folder_given_as_the_exports_folder(tmp_path):
    day = tmp_path / "exports" / "2026-03-02"
    day.mkdir(parents=True)
    (day / "tickets.csv").write_text("ticket_id\n", encoding="utf-8")
    # it was read as an exports folder without days: "no export for 2026-03-02: the folder
    # exports/2026-03-02/2026-03-02 does not exist", after Prefect had started
    with pytest.raises(BacklogError) as raised:
        ingest.discover_exports(day)
    assert str(raised.value) == (
        f"Export folder {day} is one day's folder; pass --exports {tmp_path / 'exports'}, the "
        "folder that holds one <YYYY-MM-DD> folder per day."
    )


def test_a_day_s_files_directly_in_the_exports_folder(tmp_path):
    (tmp_path / "tickets.csv").write_text("ticket_id\n", encoding="utf-8")
    with pytest.raises(BacklogError) as raised:
        ingest.discover_exports(tmp_path)
    assert str(raised.value) == (
        f"Export folder {tmp_path} holds tickets.csv directly; put each day's files in a "
        f"folder named for the day ({tmp_path / '<YYYY-MM-DD>' / 'tickets.csv'})."
    )


def test_day_folders_named_otherwise(tmp_path):
    for name in ("2026-3-2", "20260303", "notes"):
        (tmp_path / name).mkdir()
    with pytest.raises(BacklogError) as raised:
        ingest.discover_exports(tmp_path)
    assert str(raised.value) == (
        f"Export folder {tmp_path} has no day folder named YYYY-MM-DD (2026-3-2, 20260303 are "
        "not); rename each day's folder to its date as YYYY-MM-DD, e.g. 2026-03-02."
    )


def test_stray_files_and_folders_beside_the_days_are_left_alone(tmp_path):
    day = tmp_path / "2026-03-02"
    day.mkdir()
    (day / "tickets.csv").write_text("ticket_id\n", encoding="utf-8")
    (day / "notes.txt").write_text("x\n", encoding="utf-8")
    (tmp_path / "README.txt").write_text("x\n", encoding="utf-8")
    (tmp_path / "old").mkdir()
    assert [found.folder for found in ingest.discover_exports(tmp_path)] == [day]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ingest.discover_exports(empty) == []  # a first day not exported yet: a missing day


def test_a_backfill_starting_before_the_first_export(tmp_path):
    for name in ("2026-03-02", "2026-03-04"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "tickets.csv").write_text("ticket_id\n", encoding="utf-8")
    # it loaded, recorded 2026-02-01..2026-03-01 as 29 missing days (29 "no export for ..."
    # in one error) and every digest of the next two weeks warned of a gap in the history
    with pytest.raises(BacklogError) as raised:
        ingest.backfill_days(tmp_path, date(2026, 2, 1), date(2026, 3, 4), "canonical")
    assert str(raised.value) == (
        f"--start 2026-02-01 is before the first export under {tmp_path} (2026-03-02); pass "
        "--start 2026-03-02, or add the exports of the days before it first."
    )
    # a gap inside the history is still a missing day to name: only the start is checked
    days = ingest.backfill_days(tmp_path, date(2026, 3, 3), date(2026, 3, 4), "canonical")
    assert [day.export_date for day in days] == [date(2026, 3, 4)]
    days = ingest.backfill_days(tmp_path, date(2026, 3, 2), date(2026, 3, 4), "canonical")
    assert [day.export_date for day in days] == [date(2026, 3, 2), date(2026, 3, 4)]


def test_a_run_day_before_the_history_names_where_the_history_starts(con, tmp_path):
    con.execute(
        "insert into ops.loads values ('l1', '2026-11-28', 'tickets', 'd/tickets.csv', 'csv', "
        "'x', 1, 1, 0, [], now())"
    )
    # it said only "expected a folder ...": a mistyped year reads as a day to export
    with pytest.raises(BacklogError) as raised:
        ingest.note_missing_run_day(con, tmp_path, date(2025, 12, 4))
    assert str(raised.value) == (
        f"No export for 2025-12-04 under {tmp_path}, and the warehouse's history starts "
        f"2026-11-28; check --date, or load that day's export from {tmp_path / '2025-12-04'} "
        "with `backlog backfill`."
    )
    assert con.execute("select count(*) from ops.load_failures").fetchone() == (0,)
