"""Vendor exports through the whole pipeline: ingest -> models -> digest.

Fixtures are in each vendor's shape (tests/fixtures/zendesk, freshdesk, mapping/*);
the figures below are computed by hand from them (all times UTC).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tasks import ingest, models, warehouse
from tasks.adapters import BUILTIN_MAPPINGS, MAPPINGS_DIR
from tasks.config import load_settings
from tasks.errors import BacklogError
from tasks.ingest import check_source
from tasks.reports import digest
from tests.support.paths import FIXTURES, ROOT

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def run_pipeline(tmp: Path, root: Path, source: str, days: tuple[date, ...] = (D1, D2)) -> tuple:
    """Load every day, build the marts; the connection and the digests of `days`."""
    settings = load_settings(db_path=tmp / "b.duckdb", out_dir=tmp / "out")
    con = warehouse.connect(settings)
    for day in ingest.discover_exports(root, source=source):
        ingest.load_day(con, day, root)
    models.build_models(con)
    return (con, *(digest.build_digest(con, day, settings) for day in days))


def figures(result: dict) -> tuple:
    return (
        result["flow"]["inflow"],
        result["flow"]["outflow"],
        result["flow"]["reopened"],
        result["backlog"]["open_total"],
    )


def ledger_holds(con) -> None:
    for read, loaded, quarantined in con.execute(
        "select rows_read, rows_loaded, rows_quarantined from ops.loads"
    ).fetchall():
        assert read == loaded + quarantined


@pytest.fixture(scope="module")
def zendesk(tmp_path_factory):
    con, d1, d2 = run_pipeline(tmp_path_factory.mktemp("zd"), FIXTURES / "zendesk", "zendesk")
    yield con, d1, d2
    con.close()


def test_zendesk_digest_figures(zendesk):
    con, d1, d2 = zendesk
    # D1: 101, 102, 103 created (the ticket without id is quarantined); 102 solved;
    # backlog 101 (open) + 103 (on-hold -> hold). D2: 104 created, 102 reopened.
    assert figures(d1) == (3, 1, 0, 2)
    assert d1["backlog"]["by_status"]["hold"] == 1
    assert figures(d2) == (1, 0, 1, 4)
    # first replies: 101 after 30 min, 102 after 60 min (103: only private comments)
    assert d1["response"]["first_reply_p50_minutes"] == pytest.approx(45.0)
    assert d1["data_quality"]["rows_quarantined"] == 1
    ledger_holds(con)


def test_zendesk_fields(zendesk):
    con, _, _ = zendesk
    rows = dict(
        con.execute(
            "select ticket_id, (status, channel, tags, satisfaction, group_name) "
            "from staging.stg_tickets"
        ).fetchall()
    )
    assert rows["101"][:3] == ("open", "email", ["login", "sso"])
    assert rows["103"][:2] == ("hold", "phone")
    assert rows["102"][3] == "bad"
    extra = con.execute(
        "select extra from staging.stg_ticket_versions where ticket_id = '104'"
    ).fetchone()[0]
    assert json.loads(extra)["followup_ids"] == [102]
    roles = con.execute(
        "select event_id, author_role, is_public from staging.stg_events where kind = 'comment' "
        "order by event_id"
    ).fetchall()
    # users file on D1 (admin -> agent); D2 without it: author 502 is 102's requester
    assert ("zd-8003", "agent", True) in roles
    assert ("zd-8013", "agent", False) in roles
    assert ("zd-8014", "end_user", True) in roles


def test_zendesk_page_not_json_is_fatal(tmp_path):
    day = tmp_path / "2026-03-02"
    day.mkdir()
    (day / "tickets-1.json").write_text('{"tickets": [', encoding="utf-8")
    con = warehouse.connect(load_settings(db_path=tmp_path / "b.duckdb"))
    with pytest.raises(ingest.ExportFileError, match=r"tickets-1.json is not valid JSON"):
        ingest.load_day(con, ingest.export_day(tmp_path, D1, "zendesk"), tmp_path)
    assert con.execute("select count(*) from ops.loads").fetchone()[0] == 0
    con.close()


def test_zendesk_reload_is_skipped(tmp_path):
    con = warehouse.connect(load_settings(db_path=tmp_path / "b.duckdb"))
    root = FIXTURES / "zendesk"
    day = ingest.export_day(root, D1, "zendesk")
    assert not ingest.load_day(con, day, root).skipped
    assert ingest.load_day(con, day, root).skipped
    con.close()


@pytest.fixture(scope="module")
def freshdesk(tmp_path_factory):
    con, d1, d2 = run_pipeline(tmp_path_factory.mktemp("fd"), FIXTURES / "freshdesk", "freshdesk")
    yield con, d1, d2
    con.close()


def test_freshdesk_digest_figures(freshdesk):
    con, d1, d2 = freshdesk
    # D1: 1 open, 2 resolved at 12:00, 3 pending. D2 ("Created Time" header): 2 seen open
    # (a reopen from snapshots), 4 "Waiting on Customer" -> pending; 5 lacks created time.
    assert figures(d1) == (3, 1, 0, 2)
    assert figures(d2) == (1, 0, 1, 4)
    # first replies from "Initial response time": 20 and 30 min; 3's "00:45:00" is a
    # duration, not a timestamp, so it is not read
    assert d1["response"]["first_reply_p50_minutes"] == pytest.approx(25.0)
    assert d2["data_quality"]["rows_quarantined"] == 1
    tags = con.execute("select tags from staging.stg_tickets where ticket_id = '4'").fetchone()
    assert tags[0] == ["billing", "refund"]
    ledger_holds(con)


@pytest.fixture(scope="module")
def servicenow(tmp_path_factory):
    source = f"mapping:{MAPPINGS_DIR / 'servicenow_incident.toml'}"
    con, d1, d2 = run_pipeline(
        tmp_path_factory.mktemp("sn"), FIXTURES / "mapping" / "servicenow", source
    )
    yield con, d1, d2
    con.close()


def test_servicenow_event_log_digest_figures(servicenow):
    con, d1, d2 = servicenow
    # D1: 45 resolved 11:00; 46's tied 10:05 rows ordered by sys_mod_count (Active 1,
    # Resolved 2) end resolved; 47 awaiting user info (pending). D2: 45 reopened 09:00,
    # resolved again 15:00.
    assert figures(d1) == (3, 2, 0, 1)
    assert d1["backlog"]["by_status"]["pending"] == 1
    assert figures(d2) == (0, 1, 1, 1)
    assert d1["data_quality"]["rows_quarantined"] == 1  # the row whose number is "?"
    ledger_holds(con)


def test_event_log_ties_ordered_by_sequence(servicenow):
    con, _, _ = servicenow
    history = con.execute(
        "select from_status, to_status from intermediate.int_ticket_status_history "
        "where ticket_id = 'INC0000046' order by status_seq"
    ).fetchall()
    assert history == [(None, "new"), ("new", "open"), ("open", "solved")]


def test_final_value_column_not_read_as_row_state(servicenow):
    con, _, _ = servicenow
    # resolved_at holds 45's final resolution (03-03 15:00) on every row: the D1 snapshot
    # (resolved at 11:00) must not carry it, and the first solve is 02-03 11:00.
    d1_solved = con.execute(
        "select solved_at, extra ->> 'final_solved_at' from staging.stg_ticket_versions "
        "where ticket_id = 'INC0000045' and export_date = ?",
        [D1],
    ).fetchone()
    assert d1_solved[0] is None
    assert d1_solved[1].startswith("2026-03-03T15:00")
    solves = con.execute(
        "select changed_at from intermediate.int_ticket_status_history "
        "where ticket_id = 'INC0000045' and to_status = 'solved' order by status_seq"
    ).fetchall()
    assert [s[0] for s in solves] == [
        datetime(2026, 3, 2, 11, tzinfo=UTC),
        datetime(2026, 3, 3, 15, tzinfo=UTC),
    ]


def test_jira_service_management_mapping(tmp_path):
    source = f"mapping:{MAPPINGS_DIR / 'jira_service_management.toml'}"
    con, d1 = run_pipeline(tmp_path, FIXTURES / "mapping" / "jsm", source, (D1,))
    # 101 waiting for support (open), 102 resolved 14:00, 103 "Triage" (not listed:
    # its Status Category "In Progress" -> open)
    assert figures(d1) == (3, 1, 0, 2)
    rows = dict(con.execute("select ticket_id, tags from staging.stg_tickets").fetchall())
    assert rows["HD-101"] == ["get it help", "network", "vpn"]
    con.close()


def test_check_source_messages(tmp_path):
    check_source("zendesk")
    check_source("freshdesk")
    with pytest.raises(BacklogError, match="not supported"):
        check_source("helpscout")
    with pytest.raises(BacklogError, match="does not exist"):
        check_source(f"mapping:{tmp_path / 'nope.toml'}")
    bad = tmp_path / "bad.toml"
    bad.write_text('files = ["x.csv"]\n[columns]\nticket_id = "id"\n', encoding="utf-8")
    with pytest.raises(BacklogError, match="lacks created_at"):
        check_source(f"mapping:{bad}")


def test_a_new_helpdesk_is_one_mapping_file_through_the_cli(tmp_path, prefect_harness):
    """The mappings/README.md walkthrough, as a user performs it: no Python, one TOML file.
    On the session's Prefect server (a process without one starts Prefect's temporary
    server: tests/flows/test_cli.py's demo covers that)."""
    import os
    import subprocess
    import sys

    from prefect.settings import PREFECT_API_URL

    exports = tmp_path / "exports" / "2026-03-02"
    exports.mkdir(parents=True)
    # an in-house tool: semicolon-free CSV, day-first dates, its own status words, "?" = null
    (exports / "cases.csv").write_text(
        "Case No,Opened,Last Change,State,Customer,Urgency,Closed On\n"
        "C-1,02/03/2026 09:00,02/03/2026 09:30,Working,cust-1,P1,?\n"
        "C-2,02/03/2026 10:00,02/03/2026 15:00,Done,cust-2,P3,02/03/2026 15:00\n"
        "C-3,02/03/2026 11:00,02/03/2026 11:00,Waiting on you,cust-3,?,?\n"
    )
    (tmp_path / "inhouse.toml").write_text(
        'name = "In-house case tool"\n'
        'kind = "snapshot"\n'
        'files = ["cases*.csv"]\n'
        'timezone = "UTC"\n'
        'timestamp_formats = ["%d/%m/%Y %H:%M"]\n'
        'null_markers = ["?", ""]\n'
        "[columns]\n"
        'ticket_id = "Case No"\ncreated_at = "Opened"\nupdated_at = "Last Change"\n'
        'status = "State"\nrequester_id = "Customer"\npriority = "Urgency"\n'
        'solved_at = "Closed On"\n'
        "[values.status]\n"
        'Working = "open"\nDone = "solved"\n"Waiting on you" = "pending"\n'
        "[values.priority]\n"
        'P1 = "urgent"\nP3 = "low"\n'
    )
    root = ROOT
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "backlog"),
            "run",
            "--exports",
            "exports",
            "--date",
            "2026-03-02",
            "--source",
            f"mapping:{tmp_path / 'inhouse.toml'}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("BACKLOG_")},
            "PYTHONPATH": str(root),
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        },
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "digest-2026-03-02.json").read_text())
    # C-1, C-2, C-3 created; C-2 solved at 15:00: backlog C-1 (open) + C-3 (pending)
    assert figures(result) == (3, 1, 0, 2)
    assert result["backlog"]["by_status"]["pending"] == 1
    assert result["response"]["resolution_p50_hours"] == 5.0
    assert result["data_quality"]["rows_quarantined"] == 0


# ----------------------------------------------------------------------- the installed package


def _wheel_layout() -> dict[Path, Path]:
    """What hatch puts in the wheel, by pyproject.toml: source folder -> folder in the wheel."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    layout = {Path(package): Path(package) for package in wheel["packages"]}
    layout.update({Path(src): Path(dst) for src, dst in wheel.get("force-include", {}).items()})
    return layout


def _in_wheel(path: Path) -> Path | None:
    """Where a file of the source tree lands in the wheel, or None when it is not shipped."""
    relative = path.resolve().relative_to(ROOT)
    for source, target in _wheel_layout().items():
        if relative.is_relative_to(source):
            return target / relative.relative_to(source)
    return None


def test_the_wheel_ships_each_builtin_mapping_where_the_installed_adapter_reads_it():
    """An installed package reads the shipped mappings beside its own `tasks/` (as `sql/`)."""
    for name in BUILTIN_MAPPINGS.values():
        shipped = _in_wheel(MAPPINGS_DIR / name)
        assert shipped is not None, f"{name} is not in the wheel"
        assert shipped == (MAPPINGS_DIR / name).relative_to(ROOT)


def test_an_installed_package_reads_its_shipped_freshdesk_mapping(tmp_path):
    """The wheel's layout, outside the source tree: `--source freshdesk` still loads."""
    site = tmp_path / "site-packages"
    for source, target in _wheel_layout().items():
        shutil.copytree(ROOT / source, site / target, ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import tasks; from tasks.ingest import check_source; "
        "from tasks.adapters import get_adapter; check_source('freshdesk'); "
        "print(tasks.__file__, get_adapter('freshdesk').mapping.path)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    package, mapping = done.stdout.split()
    assert Path(package).is_relative_to(site)
    assert Path(mapping).is_relative_to(site)
