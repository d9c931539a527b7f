"""Rows repaired instead of lost: clock skew clamped to created_at, NUL bytes stripped.

Each case loads one day (2026-03-02) and checks the ledger, the staged values, and that
the repair is counted as a warning the day's data quality names.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks import ingest, models, warehouse
from tasks.config import QualitySettings, load_settings
from tasks.quality import data_quality_for_day
from tests.support.exports import tk, write_tickets

DAY = date(2026, 3, 2)


def _load(con: duckdb.DuckDBPyConnection, root: Path, source: str = "canonical", **quality):
    day = next(d for d in ingest.discover_exports(root, source=source) if d.export_date == DAY)
    return ingest.load_day(con, day, root, QualitySettings(**quality))


def _ledger(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select entity, rows_read, rows_loaded, rows_quarantined from ops.loads order by entity"
    ).fetchall()


def _skewed(root: Path, fmt: str = "csv") -> None:
    write_tickets(
        root,
        "2026-03-02",
        [
            tk("S1", "2026-03-02T09:00:00Z", "2026-03-02T08:59:59Z", "open"),  # 1 s before
            tk(  # solved 4 min 59 s before it was created, updated at creation
                "S2",
                "2026-03-02T09:00:00Z",
                "2026-03-02T09:00:00Z",
                "solved",
                solved_at="2026-03-02T08:55:01Z",
            ),
            tk("S3", "2026-03-02T09:00:00Z", "2026-03-02T08:54:59Z", "open"),  # 5 min 1 s
            tk("S4", "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z", "open"),
        ],
        fmt,
    )


def test_clock_skew_within_the_tolerance_is_clamped_and_warned(con, settings, tmp_path):
    root = tmp_path / "exports"
    _skewed(root)
    _load(con, root)
    # 4 rows read; S3 (5 min 1 s > 5 min) quarantined as before: 3 loaded
    assert _ledger(con) == [("tickets", 4, 3, 1)]
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert con.execute(
        "select ticket_id, updated_at, solved_at from staging.stg_ticket_versions "
        "order by ticket_id"
    ).fetchall() == [
        ("S1", nine, None),
        ("S2", nine, nine),
        ("S4", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), None),
    ]
    (reason,) = con.execute("select reason from ops.quarantine").fetchone()
    assert reason == "updated_at is before created_at"
    dq = data_quality_for_day(con, DAY, settings)
    assert dq["status"] == "warn"
    assert (
        "tickets.csv: updated_at before created_at by at most 5 minutes (clock skew: set to "
        "created_at, the row loaded) (1 row, loaded)"
    ) in [m.split("2026-03-02/", 1)[-1] for m in dq["checks_failed"]]
    assert any(
        m.endswith(
            "solved_at before created_at by at most 5 minutes (clock skew: "
            "set to created_at, the row loaded) (1 row, loaded)"
        )
        for m in dq["checks_failed"]
    )


def test_clock_skew_tolerance_is_configurable(con, tmp_path):
    root = tmp_path / "exports"
    _skewed(root)
    _load(con, root, clock_skew_minutes=0)
    # no tolerance: S1, S2 and S3 quarantined as before; S4 loads
    assert _ledger(con) == [("tickets", 4, 1, 3)]
    assert sorted(r for (r,) in con.execute("select reason from ops.quarantine").fetchall()) == [
        "solved_at is before created_at",
        "updated_at is before created_at",
        "updated_at is before created_at",
    ]


def test_clock_skew_from_the_settings_file(tmp_path):
    config = tmp_path / "backlog.toml"
    config.write_text("[quality]\nclock_skew_minutes = 0.5\n", encoding="utf-8")
    settings = load_settings(config_file=config)
    assert settings.quality.clock_skew_minutes == 0.5
    assert QualitySettings().clock_skew_minutes == 5.0


def _zendesk_day(root: Path) -> None:
    """A Zendesk tickets page as the API returns it: two tickets updated 1 s before they
    were created (as real pages carry), one deleted, one with a NUL in its description."""
    folder = root / "2026-03-02"
    folder.mkdir(parents=True)

    def ticket(tid: int, created: str, updated: str, status: str, **kw) -> dict:
        return {
            "id": tid,
            "created_at": created,
            "updated_at": updated,
            "type": "question",
            "subject": f"Ticket {tid}",
            "description": "text",
            "priority": "normal",
            "status": status,
            "requester_id": 500 + tid,
            "tags": ["billing"],
            "via": {"channel": "email"},
            **kw,
        }

    page = {
        "tickets": [
            ticket(1, "2026-03-02T09:00:00Z", "2026-03-02T09:10:00Z", "open"),
            ticket(2, "2026-03-02T09:00:01Z", "2026-03-02T09:00:00Z", "new"),
            ticket(3, "2026-03-02T10:00:01Z", "2026-03-02T10:00:00Z", "solved"),
            ticket(4, "2026-03-02T11:00:00Z", "2026-03-02T11:05:00Z", "deleted"),
            ticket(
                5,
                "2026-03-02T12:00:00Z",
                "2026-03-02T12:01:00Z",
                "open",
                description="pasted log\u0000\u0000 line 2",
            ),
        ],
        "after_cursor": None,
        "end_of_stream": True,
    }
    (folder / "tickets-1.json").write_text(json.dumps(page), encoding="utf-8")


def test_a_zendesk_page_loads_every_non_deleted_ticket(tmp_path):
    root = tmp_path / "exports"
    _zendesk_day(root)
    settings = load_settings(db_path=tmp_path / "b.duckdb", out_dir=tmp_path / "out")
    con = warehouse.connect(settings)
    with con:
        _load(con, root, source="zendesk")
        # 5 read, 5 loaded (2 and 3 clamped, 5 stripped), none quarantined
        assert _ledger(con) == [("tickets", 5, 5, 0)]
        models.build_models(con)
        assert con.execute(
            "select ticket_id from staging.stg_tickets where not is_deleted order by ticket_id"
        ).fetchall() == [("1",), ("2",), ("3",), ("5",)]
        (inflow,) = con.execute(
            "select inflow from marts.fct_daily_flow where report_date = ?", [DAY]
        ).fetchone()
        assert inflow == 4  # 1, 2, 3, 5 created on the day; 4 is deleted
        assert con.execute(
            "select description from staging.stg_tickets where ticket_id = '5'"
        ).fetchone() == ("pasted log line 2",)
        dq = data_quality_for_day(con, DAY, settings)
        assert dq["status"] == "warn"
        assert dq["rows_quarantined"] == 0
        assert sum("clock skew" in m and "(2 rows, loaded)" in m for m in dq["checks_failed"]) == 1
        assert sum("NUL byte" in m and "(1 row, loaded)" in m for m in dq["checks_failed"]) == 1


def test_nul_bytes_are_stripped_in_csv(con, settings):
    from tests.support.paths import FIXTURES

    root = FIXTURES / "bad" / "nul_byte"
    _load(con, root)
    assert _ledger(con) == [("tickets", 3, 3, 0)]
    assert con.execute(
        "select subject from staging.stg_ticket_versions where ticket_id = 'T2'"
    ).fetchone() == ("Brokensubject",)
    # raw keeps the row as read
    (record,) = con.execute(
        "select record ->> 'subject' from raw.tickets where row_number = 2"
    ).fetchone()
    assert record == "Broken\x00subject"
    dq = data_quality_for_day(con, DAY, settings)
    assert dq["status"] == "warn"
    assert any(
        m.endswith("rows with a NUL byte in a text field (removed, the row loaded) (1 row, loaded)")
        for m in dq["checks_failed"]
    )


def test_nul_bytes_are_stripped_in_jsonl(con, settings, tmp_path):
    root = tmp_path / "exports"
    folder = root / "2026-03-02"
    folder.mkdir(parents=True)
    rows = [
        tk("J1", "2026-03-02T09:00:00Z", None, "open", subject="raw\x00nul"),
        tk("J2", "2026-03-02T09:00:00Z", None, "open", description="escaped\x00nul"),
        tk("J3", "2026-03-02T09:00:00Z", None, "open", subject="clean"),
    ]
    lines = [json.dumps(r) for r in rows]
    lines[0] = lines[0].replace("\\u0000", "\x00")  # a raw NUL byte inside the string
    (folder / "tickets.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _load(con, root)
    assert _ledger(con) == [("tickets", 3, 3, 0)]
    assert con.execute(
        "select ticket_id, subject, description from staging.stg_ticket_versions order by ticket_id"
    ).fetchall() == [("J1", "rawnul", None), ("J2", None, "escapednul"), ("J3", "clean", None)]
    dq = data_quality_for_day(con, DAY, settings)
    assert dq["status"] == "warn"
    assert any("NUL byte" in m and "(2 rows, loaded)" in m for m in dq["checks_failed"])
