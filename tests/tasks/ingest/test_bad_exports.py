"""The bad-export corpus (tests/fixtures/bad): each case's documented outcome, exact counts.

Every case is one export day, 2026-03-02. A fatal case stops with one sentence naming
the file (and the column) and loads nothing; every other case loads with rows read =
rows loaded + rows quarantined per file, each quarantined row kept with its reason and
its text. DECISIONLOG.md, "Validation outcomes", is this table in words.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tasks import contract, ingest, quality
from tasks.config import load_settings
from tasks.errors import BacklogError
from tests.support.loading import load_exports
from tests.support.paths import FIXTURES

CORPUS = FIXTURES / "bad"
DAY = date(2026, 3, 2)
TABLES = (
    "raw.tickets",
    "raw.events",
    "staging.stg_ticket_versions",
    "staging.stg_events",
    "ops.loads",
    "ops.quarantine",
    "ops.validation_results",
    "ops.quality_checks",
    "ops.validation_runs",
)


@dataclass(frozen=True)
class Fatal:
    """The day stops: this message (a regular expression), nothing loaded."""

    message: str


@dataclass(frozen=True)
class Loaded:
    """The day loads: data-quality status, (read, loaded, quarantined) per entity, and the
    reason (its start) of every quarantined row, by (entity, row number)."""

    status: str
    ledger: dict[str, tuple[int, int, int]]
    quarantined: dict[tuple[str, int], str] = field(default_factory=dict)


OUTCOMES: dict[str, Fatal | Loaded] = {
    "empty_file": Fatal(
        r"tickets\.csv is empty; expected a comma-separated header line naming ticket_id, "
        r"created_at, updated_at, status, requester_id, then one row per ticket, so "
        r"re-export the day and load it again\.$"
    ),
    "header_only": Fatal(
        r"tickets\.csv has a header but no rows; expected at least one ticket row"
    ),
    "utf16_file": Fatal(r"tickets\.csv is UTF-16 text; expected UTF-8, so re-export it"),
    "latin1_file": Fatal(
        r"tickets\.csv is not UTF-8: byte 0xE9 on line 2 is not valid UTF-8 and no line "
        r"holds UTF-8 text, so the file looks Latin-1 or Windows-1252 encoded; expected UTF-8"
    ),
    "semicolon_delimiter": Fatal(
        r"tickets\.csv lacks the required columns ticket_id, created_at, updated_at, status, "
        r"requester_id \(its header is semicolon-separated; canonical CSV uses commas\)"
    ),
    "tab_delimiter": Fatal(r"\(its header is tab-separated; canonical CSV uses commas\)"),
    "missing_required_column": Fatal(
        r"tickets\.csv lacks the required column requester_id; the canonical tickets format "
        r"needs ticket_id, created_at, updated_at, status, requester_id, so fix the file's "
        r"header \(or pass the right --source\) and load the day again\.$"
    ),
    "renamed_required_column": Fatal(
        r"tickets\.csv lacks the required column created_at \('Created At' looks like "
        r"'created_at'\)"
    ),
    "duplicate_column": Fatal(r"tickets\.csv has the column status more than once"),
    "no_valid_rows": Fatal(
        r"tickets\.csv: not one of its 3 rows can be loaded \(created_at is missing or is not "
        r"an ISO 8601 timestamp: 3 of 3\); expected rows in the canonical tickets format"
    ),
    "bad_events_file": Fatal(r"events\.csv lacks the required column ticket_id"),
    "not_parquet": Fatal(r"tickets\.parquet cannot be read as Parquet \("),
    "blank_lines": Loaded("ok", {"tickets": (2, 2, 0)}),
    "utf8_bom": Loaded("ok", {"tickets": (3, 3, 0)}),
    "quoted_newlines": Loaded("ok", {"tickets": (3, 3, 0)}),
    "timestamp_styles": Loaded("ok", {"tickets": (6, 6, 0)}),
    "case_variant_columns": Loaded("ok", {"tickets": (3, 3, 0)}),
    # the source's first export: nothing earlier to compare with, the column is kept in extra
    "new_unknown_column": Loaded("ok", {"tickets": (2, 2, 0)}),
    "truncated_last_line": Loaded(
        "warn",
        {"tickets": (4, 3, 1)},
        {("tickets", 4): "row has 3 fields where the header has 10: a truncated"},
    ),
    "truncated_inside_quotes": Loaded(
        "warn",
        {"tickets": (4, 3, 1)},
        {("tickets", 4): "row ends inside a quoted field at the end of the file"},
    ),
    "wrong_field_count": Loaded(
        "warn",
        {"tickets": (4, 2, 2)},
        {
            ("tickets", 2): "row has 11 fields where the header has 10",
            ("tickets", 3): "row has 2 fields where the header has 10",
        },
    ),
    "unbalanced_quote": Loaded(
        "warn",
        {"tickets": (5, 4, 1)},
        {("tickets", 2): "row with unbalanced quotes (lines 3-5, read line by line)"},
    ),
    "nul_byte": Loaded("warn", {"tickets": (3, 3, 0)}),  # stripped (test_repairs.py)
    "latin1_bytes_in_utf8": Loaded(
        "warn",
        {"tickets": (3, 2, 1)},
        {("tickets", 2): "row is not valid UTF-8 (byte 0xE9); expected UTF-8 text"},
    ),
    "duplicate_ids": Loaded(
        "warn",
        {"tickets": (7, 3, 4)},
        {
            ("tickets", 1): "exact copy of another row (folded)",  # the later copy stays
            ("tickets", 3): "superseded by a later row with the same ticket_id",
            ("tickets", 5): "superseded by a later row with the same ticket_id",
            ("tickets", 6): "superseded by a later row with the same ticket_id",
        },
    ),
    "dates_out_of_range": Loaded(
        "warn",
        {"tickets": (9, 3, 6)},
        {
            ("tickets", 2): "created_at is before 1990-01-01",
            ("tickets", 3): "created_at is before 1990-01-01",
            ("tickets", 4): "created_at is more than a day after the export date",
            ("tickets", 5): "updated_at is more than a day after the export date",
            ("tickets", 6): "solved_at is more than a day after the export date",
            ("tickets", 9): "created_at is missing or is not an ISO 8601 timestamp",
        },
    ),
    "status_values": Loaded(
        "warn",
        {"tickets": (7, 4, 3)},
        {
            ("tickets", 4): "status is not one of new, open, pending, hold",
            ("tickets", 5): "status is not one of new, open, pending, hold",
            ("tickets", 6): "status is missing or is not a value",
        },
    ),
    "jsonl_bad_lines": Loaded(
        "warn",
        {"tickets": (5, 2, 3)},
        {
            ("tickets", 2): "line is a JSON list, not an object",
            ("tickets", 4): "line is not valid JSON (NaN is not a JSON value",
            ("tickets", 5): "line is not valid JSON (Unterminated string",
        },
    ),
    "events_rows": Loaded(
        "warn",
        {"tickets": (3, 3, 0), "events": (6, 3, 3)},
        {
            ("events", 2): "exact copy of another row (folded)",
            ("events", 3): "a status_change's to_value is not one of new, open",
            ("events", 4): "occurred_at is more than a day after the export date",
        },
    ),
}


def load(con: duckdb.DuckDBPyConnection, root: Path, day: date = DAY, **kwargs) -> ingest.DayLoad:
    return ingest.load_day(con, ingest.export_day(root, day), root, **kwargs)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_every_corpus_case_has_a_documented_outcome():
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(OUTCOMES)


@pytest.mark.parametrize("case", sorted(OUTCOMES))
def test_corpus_case(con, settings, case):
    expected = OUTCOMES[case]
    root = CORPUS / case
    if isinstance(expected, Fatal):
        with pytest.raises(ingest.ExportFileError) as error:
            load(con, root)
        message = str(error.value)
        assert "\n" not in message
        assert message.startswith(str(root / "2026-03-02"))
        assert _search(expected.message, message)
        # nothing of the day is loaded; the failure is kept for the digest
        assert all(n == 0 for n in counts(con).values())
        assert con.execute("select message from ops.load_failures").fetchall() == [(message,)]
        dq = quality.data_quality_for_day(con, DAY, settings)
        assert dq["status"] == "fail"
        assert dq["checks_failed"][0] == message
        assert quality.day_has_failed(con, DAY) == dq["summary"]
        assert dq["summary"].startswith("Data for 2026-03-02 is incomplete: ")
        return

    result = load(con, root)
    ledger = {f.entity: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files}
    assert ledger == expected.ledger
    assert {
        entity: tuple(values)
        for entity, *values in con.execute(
            "select entity, rows_read, rows_loaded, rows_quarantined from ops.loads"
        ).fetchall()
    } == ledger
    reasons = {
        (entity, row): reason
        for entity, row, reason in con.execute(
            "select entity, row_number, reason from ops.quarantine"
        ).fetchall()
    }
    assert sorted(reasons) == sorted(expected.quarantined)
    for key, start in expected.quarantined.items():
        assert reasons[key].startswith(start), (key, reasons[key])
    _assert_nothing_lost(con)
    dq = quality.data_quality_for_day(con, DAY, settings)
    assert dq["status"] == expected.status, dq
    assert dq["rows_loaded"] == sum(v[1] for v in ledger.values())
    assert dq["rows_quarantined"] == sum(v[2] for v in ledger.values())
    assert (dq["status"] == "ok") == (not dq["checks_failed"])
    assert quality.day_has_failed(con, DAY) is None


def _search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


def _assert_nothing_lost(con: duckdb.DuckDBPyConnection) -> None:
    """Per file: read = loaded + quarantined = rows in raw; staging and quarantine agree."""
    for load_id, entity, read, loaded, quarantined in con.execute(
        "select load_id, entity, rows_read, rows_loaded, rows_quarantined from ops.loads"
    ).fetchall():
        staging = contract.STAGING_TABLES[entity]
        in_raw, in_staging, in_quarantine, without_text = con.execute(
            f"""
            select
                (select count(*) from raw.{entity} where load_id = $id),
                (select count(*) from {staging} where load_id = $id),
                (select count(*) from ops.quarantine where load_id = $id),
                (select count(*) from ops.quarantine
                    where load_id = $id and record is null and raw_text is null),
            """,
            {"id": load_id},
        ).fetchone()
        assert read == loaded + quarantined == in_raw
        assert (in_staging, in_quarantine) == (loaded, quarantined)
        assert without_text == 0
        # every row read is either staged or quarantined, never both
        assert con.execute(
            f"""
            select count(*) from raw.{entity} as r
            where (r.row_number in (select row_number from {staging} where load_id = $id))
                = (r.row_number in (select row_number from ops.quarantine where load_id = $id))
                and r.load_id = $id
            """,
            {"id": load_id},
        ).fetchone() == (0,)


# ----------------------------------------------------------------- what the rows hold


def test_quoted_newlines_stay_inside_their_row(con):
    load(con, CORPUS / "quoted_newlines")
    descriptions = dict(
        con.execute("select ticket_id, description from staging.stg_ticket_versions").fetchall()
    )
    assert descriptions["T1"] == (
        'Line one\r\nline two, with a comma\r\n\r\nand "quotes" after a blank line'
    )
    assert descriptions["T2"] == "one\nLF only"
    assert con.execute(
        "select list(line_number order by row_number) from raw.tickets"
    ).fetchone() == ([2, 6, 8],)


def test_timestamps_in_every_offset_style_and_naive(con):
    load(con, CORPUS / "timestamp_styles")
    rows = {
        ticket: (created.astimezone(UTC), updated.astimezone(UTC))
        for ticket, created, updated in con.execute(
            "select ticket_id, created_at, updated_at from staging.stg_ticket_versions"
        ).fetchall()
    }

    def utc(hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
        return datetime(2026, 3, 2, hour, minute, second, micro, tzinfo=UTC)

    assert rows == {
        "T1": (utc(9), utc(9, 0, 0, 250000)),  # Z, with fractions
        "T2": (utc(9), utc(9, 30)),  # +01:00, with a space instead of T
        "T3": (utc(9), utc(15)),  # +0100 and -0500
        "T4": (utc(9), utc(9)),  # +01
        "T5": (utc(9), utc(9, 30)),  # naive (source_timezone UTC), minutes only
        "T6": (utc(0), utc(12)),  # a date alone is its midnight
    }


def test_quarantined_rows_keep_their_text(con):
    load(con, CORPUS / "latin1_bytes_in_utf8")
    record, raw_text, line = con.execute(
        "select record, raw_text, line_number from ops.quarantine"
    ).fetchone()
    assert record is None
    assert raw_text.startswith("T2,")
    assert "Caf\\xe9 closed" in raw_text
    assert line == 3
    # the UTF-8 rows around it load with their text intact
    assert con.execute(
        "select list(subject order by ticket_id) from staging.stg_ticket_versions"
    ).fetchone() == (["Müller can't log in", "Zoë"],)


def test_duplicates_keep_the_latest_version(con):
    load(con, CORPUS / "duplicate_ids")
    assert con.execute(
        "select ticket_id, status, subject from staging.stg_ticket_versions order by ticket_id"
    ).fetchall() == [
        ("T1", "open", "Cannot log in"),
        ("T2", "open", "Cannot log in"),  # latest updated_at wins
        ("T3", "pending", "second"),  # same updated_at: the later row wins
    ]


def test_status_values_in_other_case_load(con):
    load(con, CORPUS / "status_values")
    assert con.execute(
        "select list(status order by ticket_id) from staging.stg_ticket_versions"
    ).fetchone() == (["open", "solved", "pending", "hold"],)


def test_case_variants_of_column_names_are_read_and_noted(con, settings):
    result = load(con, CORPUS / "case_variant_columns")
    assert result.files[0].renamed_columns == {"Created_At": "created_at", "STATUS": "status"}
    assert result.files[0].extra_columns == []
    dq = quality.data_quality_for_day(con, DAY, settings)
    assert dq["notes"] == [
        "2026-03-02/tickets.csv: column 'Created_At' read as created_at",
        "2026-03-02/tickets.csv: column 'STATUS' read as status",
    ]


def test_jsonl_case_variant_keys_are_renamed(con):
    load(con, CORPUS / "jsonl_bad_lines")
    assert con.execute(
        "select ticket_id, created_at, tags from staging.stg_ticket_versions order by ticket_id"
    ).fetchall() == [
        ("T1", datetime(2026, 3, 2, 9, tzinfo=UTC), []),
        ("T3", datetime(2026, 3, 2, 9, tzinfo=UTC), ["a", "b"]),
    ]


def test_parquet_case_variant_columns(con, tmp_path):
    root = tmp_path / "exports"
    (root / "2026-03-02").mkdir(parents=True)
    source = CORPUS / "case_variant_columns" / "2026-03-02" / "tickets.csv"
    target = root / "2026-03-02" / "tickets.parquet"
    duckdb.connect().execute(
        f"copy (select * from read_csv('{source}', all_varchar = true)) to '{target}' "
        "(format parquet)"
    )
    result = load(con, root)
    assert result.files[0].renamed_columns == {"Created_At": "created_at", "STATUS": "status"}
    assert [(f.rows_read, f.rows_loaded) for f in result.files] == [(3, 3)]


def test_a_first_export_has_no_new_column(con, settings, tmp_path):
    """A new team's first day: its unknown column is kept in `extra`, and nothing warns."""
    root = tmp_path / "exports"
    shutil.copytree(CORPUS / "new_unknown_column" / "2026-03-02", root / "2026-03-02")
    first = load(con, root)
    assert first.files[0].extra_columns == ["product_area"]
    assert first.files[0].new_columns == []
    dq = quality.data_quality_for_day(con, DAY, settings)
    assert (dq["status"], dq["checks_failed"]) == ("ok", [])
    (extra,) = con.execute(
        "select extra from staging.stg_ticket_versions where ticket_id = 'T1' limit 1"
    ).fetchone()
    assert json.loads(extra) == {"product_area": "auth"}


def test_a_column_later_exports_add_warns_once_then_is_known(con, settings, tmp_path):
    root = tmp_path / "exports"
    with_column = CORPUS / "new_unknown_column" / "2026-03-02" / "tickets.csv"
    (root / "2026-03-02").mkdir(parents=True)
    (root / "2026-03-02" / "tickets.csv").write_text(  # the first export, without the column
        "".join(line.rsplit(",", 1)[0] + "\n" for line in with_column.read_text().splitlines())
    )
    shutil.copytree(with_column.parent, root / "2026-03-03")
    shutil.copytree(with_column.parent, root / "2026-03-04")
    first = load(con, root)
    second = load(con, root, date(2026, 3, 3))
    third = load(con, root, date(2026, 3, 4))
    assert first.files[0].extra_columns == []
    assert second.files[0].new_columns == ["product_area"]
    assert third.files[0].new_columns == []
    assert third.files[0].extra_columns == ["product_area"]
    assert quality.data_quality_for_day(con, DAY, settings)["status"] == "ok"
    dq2 = quality.data_quality_for_day(con, date(2026, 3, 3), settings)
    assert dq2["checks_failed"] == [
        "2026-03-03/tickets.csv: new column 'product_area', kept in extra "
        "(no earlier export had it)"
    ]
    assert quality.data_quality_for_day(con, date(2026, 3, 4), settings)["status"] == "ok"


# ------------------------------------------------------------ fatal days, ops.load_failures


def test_fatal_reexport_keeps_the_earlier_load_and_says_so(con, settings, tmp_path):
    root = tmp_path / "exports"
    shutil.copytree(CORPUS / "utf8_bom", root)
    tickets = root / "2026-03-02" / "tickets.csv"
    good = tickets.read_bytes()
    load(con, root)
    before = counts(con)
    tickets.write_bytes(b"")
    with pytest.raises(BacklogError, match=r"tickets\.csv is empty"):
        load(con, root)
    assert counts(con) == before
    dq = quality.data_quality_for_day(con, DAY, settings)
    assert dq["status"] == "fail"
    assert dq["rows_loaded"] == 3
    assert dq["checks_failed"][0].endswith("The day's earlier load is kept.")
    (source_file, sha256) = con.execute(
        "select source_file, sha256 from ops.load_failures"
    ).fetchone()
    assert (source_file, sha256) == ("2026-03-02/tickets.csv", ingest.file_sha256(tickets))
    # the loaded file comes back: the day is as loaded, the failure is forgotten
    tickets.write_bytes(good)
    assert load(con, root).skipped
    assert con.execute("select count(*) from ops.load_failures").fetchone() == (0,)
    assert quality.day_has_failed(con, DAY) is None


def test_fixed_export_clears_the_failure(con, settings, tmp_path):
    root = tmp_path / "exports"
    shutil.copytree(CORPUS / "header_only", root)
    with pytest.raises(ingest.ExportFileError):
        load(con, root)
    assert quality.day_has_failed(con, DAY).startswith(
        "Data for 2026-03-02 is incomplete: " + str(root / "2026-03-02" / "tickets.csv")
    )
    shutil.copy(CORPUS / "utf8_bom" / "2026-03-02" / "tickets.csv", root / "2026-03-02")
    load(con, root)
    assert con.execute("select count(*) from ops.load_failures").fetchone() == (0,)
    assert quality.data_quality_for_day(con, DAY, settings)["status"] == "ok"


def test_a_day_without_export_is_incomplete(con, settings):
    load(con, CORPUS / "utf8_bom")
    dq = quality.data_quality_for_day(con, date(2026, 3, 3), settings)
    assert dq["status"] == "fail"
    assert dq["checks_failed"] == ["No export was loaded for 2026-03-03."]


# ------------------------------------------------------------------------ volume, share


def _write_days(root: Path, rows_per_day: dict[str, int]) -> None:
    header = "ticket_id,created_at,updated_at,status,requester_id\n"
    for day, n in rows_per_day.items():
        folder = root / day
        folder.mkdir(parents=True)
        lines = [f"{day}-{i},{day}T09:00:00Z,{day}T10:00:00Z,open,r{i}\n" for i in range(n)]
        (folder / "tickets.csv").write_text(header + "".join(lines))


@pytest.mark.parametrize(("severity", "status"), [("warn", "warn"), ("fail", "fail")])
def test_a_day_far_below_the_trailing_median(con, tmp_path, severity, status):
    root = tmp_path / "exports"
    _write_days(
        root,
        {
            "2026-03-01": 2,  # a Sunday: weekend days are not held against weekdays
            "2026-03-02": 20,
            "2026-03-03": 22,
            "2026-03-04": 18,
            "2026-03-05": 21,
            "2026-03-06": 9,
        },
    )
    settings = load_settings(quality={"volume_severity": severity})
    load_exports(con, root, quality_settings=settings.quality)
    early = quality.data_quality_for_day(con, date(2026, 3, 4), settings)
    assert early["status"] == "ok"  # two earlier weekdays: not judged yet
    assert early["volume"] == {"tickets": {"rows_read": 18, "trailing_median": None, "ratio": None}}
    message = (
        "tickets: 9 rows read, 44% of the median of 20.5 over the weekdays of the trailing "
        "14 days (below 50%: a truncated export?)"
    )
    dq = quality.data_quality_for_day(con, date(2026, 3, 6), settings)
    assert dq["status"] == status
    assert dq["volume"] == {"tickets": {"rows_read": 9, "trailing_median": 20.5, "ratio": 9 / 20.5}}
    assert dq["checks_failed"] == [message]
    failed = quality.day_has_failed(con, date(2026, 3, 6))
    assert failed == (
        f"Data for 2026-03-06 is incomplete: {message}." if status == "fail" else None
    )


def test_a_missing_events_file_counts_against_the_median(con, tmp_path):
    root = tmp_path / "exports"
    _write_days(root, {f"2026-03-0{d}": 10 for d in range(2, 7)})
    for d in range(2, 6):
        (root / f"2026-03-0{d}" / "events.csv").write_text(
            "ticket_id,occurred_at,kind\n" + f"2026-03-0{d}-1,2026-03-0{d}T09:30:00Z,comment\n"
        )
    load_exports(con, root)
    dq = quality.data_quality_for_day(con, date(2026, 3, 6))
    assert dq["status"] == "warn"
    assert dq["checks_failed"] == [
        "events: 0 rows read, 0% of the median of 1 over the weekdays of the trailing 14 days "
        "(below 50%: a truncated export?)"
    ]


def test_quarantined_share_above_the_limit(con, tmp_path):
    root = tmp_path / "exports"
    _write_days(root, {"2026-03-02": 19})
    tickets = root / "2026-03-02" / "tickets.csv"
    with tickets.open("a") as handle:
        handle.write("X1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,reopened,r1\n")
    settings = load_settings(quality={"quarantine_severity": "fail"})
    load(con, root, quality_settings=settings.quality)
    dq = quality.data_quality_for_day(con, DAY)
    assert dq["status"] == "warn"  # 1 of 20 = 5% is within the limit; a row is quarantined
    assert dq["checks_failed"] == [
        "2026-03-02/tickets.csv: status is not one of new, open, pending, hold, solved, "
        "closed, deleted (1 row, quarantined)"
    ]
    with tickets.open("a") as handle:
        handle.write("X2,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,reopened,r1\n")
    load(con, root, quality_settings=settings.quality)
    dq = quality.data_quality_for_day(con, DAY)
    assert dq["status"] == "fail"
    assert dq["checks_failed"][0] == (
        "2026-03-02/tickets.csv: 2 of 21 rows quarantined (9.5%), above the 5% limit"
    )


def test_folded_exact_copies_do_not_count_as_lost(con, tmp_path):
    root = tmp_path / "exports"
    _write_days(root, {"2026-03-02": 10})
    tickets = root / "2026-03-02" / "tickets.csv"
    tickets.write_text(tickets.read_text() + tickets.read_text().splitlines(True)[1])
    load(con, root)
    (observed,) = con.execute(
        "select observed from ops.quality_checks where check_name = 'quarantine_share'"
    ).fetchone()
    assert observed == 0.0
    assert quality.data_quality_for_day(con, DAY)["checks_failed"] == [
        "2026-03-02/tickets.csv: rows repeating a ticket_id (exact copies folded, else the "
        "latest row kept) (1 row, quarantined)"
    ]


# --------------------------------------------------------------------------- data docs


def test_data_docs_show_every_validation_run(con, tmp_path):
    for case in ("events_rows", "dates_out_of_range"):
        root = tmp_path / case
        shutil.copytree(CORPUS / case, root)
    load(con, tmp_path / "events_rows")
    index = quality.write_data_docs(con, tmp_path / "out", [DAY])
    assert index == (tmp_path / "out" / "data-docs" / "index.html").resolve()
    pages = sorted(p.parent.parent.name for p in (index.parent / "validations").rglob("*.html"))
    assert pages == [
        "2026-03-02_events_" + _sha(con, "events"),
        "2026-03-02_tickets_" + _sha(con, "tickets"),
    ]
    assert "2026-03-02_tickets" in index.read_text()
    # a corrected re-export replaces the day: its old pages leave the index
    load(con, tmp_path / "dates_out_of_range")
    quality.write_data_docs(con, tmp_path / "out")
    pages = sorted(p.parent.parent.name for p in (index.parent / "validations").rglob("*.html"))
    assert pages == ["2026-03-02_tickets_" + _sha(con, "tickets")]
    assert (index.parent / "expectations" / "tickets.html").is_file()


def _sha(con: duckdb.DuckDBPyConnection, entity: str) -> str:
    (sha,) = con.execute("select sha256 from ops.loads where entity = ?", [entity]).fetchone()
    return sha[:12]


# ------------------------------------------------------------------------ a 50 MB file


def test_a_50_mb_file_with_one_bad_row_in_the_middle(con, tmp_path):
    folder = tmp_path / "exports" / "2026-03-02"
    folder.mkdir(parents=True)
    path = folder / "tickets.csv"
    rows = 90_000
    description = '"Export, sync and login fail;\nsteps: open the app, click ""Sync"", wait ' + (
        "x" * 420
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("ticket_id,created_at,updated_at,status,requester_id,subject,description\n")
        for i in range(rows):
            if i == rows // 2:
                handle.write(f"T{i},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,open\n")
            else:
                handle.write(
                    f"T{i},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,open,r{i % 977},"
                    f'Cannot log in {i},{description}"\n'
                )
    assert path.stat().st_size > 50_000_000
    result = load(con, tmp_path / "exports")
    (file,) = result.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (rows, rows - 1, 1)
    assert con.execute(
        "select row_number, line_number, reason, raw_text from ops.quarantine"
    ).fetchall() == [
        (
            rows // 2 + 1,
            2 * (rows // 2) + 2,
            "row has 4 fields where the header has 7: a truncated or malformed line",
            f"T{rows // 2},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,open",
        )
    ]
    _assert_nothing_lost(con)
