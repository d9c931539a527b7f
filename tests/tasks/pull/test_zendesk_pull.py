"""`backlog pull --source zendesk` against a fake Zendesk on loopback (real HTTP).

The fake account has 7 tickets created and last changed on each day (UTC), served 3 to
a page: day D's export starts at D's first ticket and reads pages of 3 until a page ends
past D, so D's 7 tickets take 3 pages (3 + 3 + 3 = 9 tickets, the last 2 of them D+1's).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tasks import ingest, models, pull, warehouse
from tasks.config import load_settings
from tasks.reports import digest
from tests.support.fake_helpdesk import Failure
from tests.support.fake_zendesk import TOKEN, FakeZendesk, synthetic_account
from tests.support.loading import load_exports
from tests.support.paths import ROOT

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
TICKETS = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_events.json"


@pytest.fixture
def account():
    return synthetic_account([D1, D2], per_day=7)


@pytest.fixture
def fake(account):
    with FakeZendesk(account, page_size=3) as api:
        yield api


class Sleeps(list):
    """Records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _pull(con, fake, exports, day=D1, **kwargs):
    return pull.pull_day(con, "zendesk", day, exports, "UTC", fake.environ(), **kwargs)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_day_is_the_pages_as_returned_plus_a_manifest_and_its_state(con, fake, tmp_path):
    exports = tmp_path / "exports"
    manifest = _pull(con, fake, exports)
    files = _files(exports / "2026-03-02")
    ticket_pages = [files[f"tickets-000{n}.json"] for n in (1, 2, 3)]
    assert ticket_pages == fake.sent(TICKETS)  # byte for byte, in order
    assert "tickets-0004.json" not in files  # page 3 ended past the day
    assert [files[n] for n in sorted(files) if n.startswith("ticket_events")] == fake.sent(EVENTS)
    assert files["groups-0001.json"] == fake.sent("/api/v2/groups.json")[0]
    assert json.loads(files[pull.MANIFEST]) == manifest
    assert manifest["pages"]["tickets"] == 3
    assert manifest["records"]["tickets"] == 9  # 3 pages of 3
    assert manifest["records_in_window"] == 7  # D1's own 7
    assert manifest["window"] == {
        "start": "2026-03-02T00:00:00+00:00",
        "end": "2026-03-03T00:00:00+00:00",
    }
    assert manifest["requests"] == len(fake.requests)
    state = con.execute("select pulled_date, records_in_window, cursor from ops.pull_state")
    assert state.fetchall() == [(D1, 7, manifest["cursor"])]
    assert not list(exports.glob(".pull-*"))  # no temporary folder left


def test_the_day_window_is_midnight_to_midnight_in_the_report_zone():
    window = pull.day_window(D1, "Europe/Berlin")  # UTC+1 in March before the DST change
    assert window.start.isoformat() == "2026-03-02T00:00:00+01:00"
    assert window.start_epoch == 1772406000  # 2026-03-01T23:00:00Z
    assert window.end_epoch - window.start_epoch == 86400
    dst = pull.day_window(date(2026, 3, 29), "Europe/Berlin")  # clocks go forward
    assert dst.end_epoch - dst.start_epoch == 23 * 3600


def test_a_day_with_no_changes_is_written_with_zero_records(con, fake, tmp_path):
    manifest = _pull(con, fake, tmp_path, day=D3)
    assert manifest["records_in_window"] == 0
    assert manifest["records"]["tickets"] == 0
    assert manifest["pages"]["tickets"] == 1  # one empty page says end_of_stream
    assert (tmp_path / "2026-03-04" / "tickets-0001.json").exists()
    assert pull.pulled_days(con, "zendesk") == [D3]


def test_429_waits_retry_after_then_the_pages_are_the_same(con, fake, tmp_path):
    fake.fail(TICKETS, Failure(429, retry_after="7"))
    sleeps = Sleeps()
    manifest = _pull(con, fake, tmp_path, sleep=sleeps)
    assert sleeps == [7.0]  # exactly what Retry-After said
    assert manifest["retries"] == 1
    statuses = [r.status for r in fake.requests if r.path == TICKETS]
    assert statuses == [429, 200, 200, 200]
    assert [(tmp_path / "2026-03-02" / f"tickets-000{n}.json").read_bytes() for n in (1, 2, 3)] == (
        fake.sent(TICKETS)
    )


def test_500s_and_a_dropped_connection_are_retried(con, fake, tmp_path):
    fake.fail(EVENTS, Failure(500), Failure(drop=True), Failure(503))
    sleeps = Sleeps()
    manifest = _pull(con, fake, tmp_path, sleep=sleeps)
    assert len(sleeps) == 3
    assert all(0 < s <= 8.25 for s in sleeps)  # backoff (no Retry-After was sent)
    assert manifest["retries"] == 3
    assert manifest["records_in_window"] == 7


def test_a_server_that_keeps_failing_gives_up_within_the_bound(con, fake, tmp_path):
    fake.fail(TICKETS, *[Failure(500)] * 50)
    sleeps = Sleeps()
    with pytest.raises(pull.PullError) as caught:
        _pull(con, fake, tmp_path, sleep=sleeps, max_seconds=10)
    message = str(caught.value)
    assert message.startswith(f"Zendesk did not answer GET {fake.url}{TICKETS}?start_time=")
    assert "within 10 s (last: HTTP 500); try again later." in message
    assert sum(sleeps) <= 10
    assert not (tmp_path / "2026-03-02").exists()
    assert pull.pulled_days(con, "zendesk") == []


def test_401_names_the_variables_and_is_not_retried(con, fake, tmp_path):
    environ = fake.environ(ZENDESK_API_TOKEN="wrong-token-123")
    with pytest.raises(pull.AuthError) as caught:
        pull.pull_day(con, "zendesk", D1, tmp_path, "UTC", environ)
    message = str(caught.value)
    assert message == (
        f"Zendesk refused the credentials (HTTP 401) for GET {fake.url}{TICKETS}"
        "?start_time=1772409600&include=metric_sets%2Cusers&per_page=1000; check "
        "ZENDESK_EMAIL and ZENDESK_API_TOKEN (Admin Center > Apps and integrations > "
        "Zendesk API)."
    )  # 1772409600 = 2026-03-02T00:00:00Z
    assert "wrong-token-123" not in message
    assert len(fake.requests) == 1
    assert not (tmp_path / "2026-03-02").exists()


def test_a_truncated_page_names_the_request_and_writes_nothing(con, fake, tmp_path):
    (tmp_path / "2026-03-02").mkdir()
    (tmp_path / "2026-03-02" / "tickets.json").write_text('{"tickets": []}')  # an older pull
    fake.fail(TICKETS, Failure(200), Failure(truncate=True))  # the second page is cut short
    with pytest.raises(pull.MalformedPage) as caught:
        _pull(con, fake, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"Zendesk answered GET {fake.url}{TICKETS}?cursor=")
    assert "is not valid JSON" in message
    assert message.endswith("nothing was written for 2026-03-02, so pull that day again.")
    assert _files(tmp_path / "2026-03-02") == {"tickets.json": b'{"tickets": []}'}
    assert not list(tmp_path.glob(".pull-*"))
    assert pull.pulled_days(con, "zendesk") == []


def test_missing_credentials_are_one_sentence():
    with pytest.raises(pull.PullError.__mro__[1]) as caught:  # BacklogError
        pull.credentials("zendesk", {"ZENDESK_SUBDOMAIN": "acme"})
    assert str(caught.value) == (
        "Zendesk credentials are not set; set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) with "
        "ZENDESK_EMAIL and ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN) in the environment."
    )
    found = pull.credentials(
        "zendesk", {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "oauth-secret"}
    )
    assert found.base_url == "https://acme.zendesk.com"
    assert "oauth-secret" not in repr(found)


def test_a_re_pull_is_byte_identical_and_the_ledger_sees_no_change(con, fake, tmp_path):
    _pull(con, fake, tmp_path)
    first = _files(tmp_path / "2026-03-02")
    day = ingest.export_day(tmp_path, D1, "zendesk")
    assert not ingest.load_day(con, day, tmp_path).skipped
    _pull(con, fake, tmp_path)
    again = _files(tmp_path / "2026-03-02")
    del first[pull.MANIFEST], again[pull.MANIFEST]  # the manifest says when it was pulled
    assert again == first
    assert ingest.load_day(con, ingest.export_day(tmp_path, D1, "zendesk"), tmp_path).skipped


def test_days_to_pull_are_the_days_after_the_last_one_pulled(con, fake, tmp_path):
    assert pull.days_to_pull(con, "zendesk", D2) == [D2]  # never pulled: just D
    _pull(con, fake, tmp_path, day=date(2026, 2, 27))
    assert pull.days_to_pull(con, "zendesk", D2) == [
        date(2026, 2, 28),
        date(2026, 3, 1),
        D1,
        D2,
    ]
    assert pull.days_to_pull(con, "zendesk", date(2026, 2, 27)) == []


def _digest_of(root: Path, tmp: Path, day: date):
    settings = load_settings(db_path=tmp / "b.duckdb", out_dir=tmp / "out")
    with warehouse.connect(settings) as con:
        load_exports(con, root, source="zendesk")
        models.build_models(con)
        names = con.execute(
            "select distinct group_name from staging.stg_tickets order by 1"
        ).fetchall()
        return digest.build_digest(con, day, settings), names


def test_pull_then_run_gives_the_digest_of_the_same_records_saved_by_hand(account, fake, tmp_path):
    pulled = tmp_path / "pulled"
    settings = load_settings(db_path=tmp_path / "state.duckdb")
    with warehouse.connect(settings) as con:
        pull.pull_days(con, "zendesk", [D1, D2], pulled, "UTC", fake.environ())
    by_hand = tmp_path / "by_hand"
    for day in (D1, D2):
        window = pull.day_window(day, "UTC")
        folder = by_hand / day.isoformat()
        folder.mkdir(parents=True)
        tickets = [
            t
            for t in account.tickets
            if window.start_epoch <= t["generated_timestamp"] < window.end_epoch
        ]
        ids = {t["id"] for t in tickets}
        page = {
            "tickets": tickets,
            "users": account.users,
            "metric_sets": [m for m in account.metric_sets if m["ticket_id"] in ids],
            "end_of_stream": True,
        }
        events = [
            e for e in account.events if window.start_epoch <= e["timestamp"] < window.end_epoch
        ]
        (folder / "tickets.json").write_text(json.dumps(page))
        (folder / "ticket_events.json").write_text(json.dumps({"ticket_events": events}))
        (folder / "groups.json").write_text(json.dumps({"groups": account.groups}))
    expected, expected_names = _digest_of(by_hand, tmp_path / "a", D2)
    got, names = _digest_of(pulled, tmp_path / "b", D2)
    pages = got["data_quality"].pop("files")  # the files differ: 3 pages vs one file
    assert sum(f["rows_read"] for f in pages if f["entity"] == "tickets") == 7
    expected["data_quality"].pop("files")
    assert got == expected
    assert names == expected_names == [("Billing",), ("Onboarding",), ("Tier 2 Support",)]
    assert got["backlog"]["open_total"] > 0


def _backlog(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "ZENDESK_"))}
    full.update(env, COLUMNS="200", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "backlog"), *args],
        cwd=cwd,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_pull_then_pull_again_gives_one_complete_day(fake, tmp_path):
    fake.fail(EVENTS, Failure(200), Failure(200, delay=30))  # the 2nd events page hangs
    args = ("pull", "--source", "zendesk", "--date", "2026-03-02", "--exports", "exports")
    process = _backlog(*args, "--db", "b.duckdb", env=fake.environ(), cwd=tmp_path)
    deadline = time.monotonic() + 60
    while sum(r.path == EVENTS for r in fake.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    exports = tmp_path / "exports"
    assert not (exports / "2026-03-02").exists()  # no partial day folder
    assert [p.name for p in exports.iterdir()] == [".pull-2026-03-02.partial"]
    again = _backlog(*args, "--db", "b.duckdb", env=fake.environ(), cwd=tmp_path)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "zendesk 2026-03-02: 7 tickets changed that day" in out
    assert [p.name for p in exports.iterdir()] == ["2026-03-02"]
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    with warehouse.connect(settings) as con:
        assert con.execute("select count(*) from ops.pull_state").fetchone() == (1,)
        load = ingest.load_day(con, ingest.export_day(exports, D1, "zendesk"), exports)
        loaded = con.execute(
            "select count(*), count(distinct record->>'ticket_id') from raw.tickets"
        ).fetchone()
    assert not load.skipped
    assert loaded == (9, 9)  # D1's 7 and the 2 of D2 on its last page: nothing lost, none twice
    for path in [*exports.rglob("*"), tmp_path / "b.duckdb"]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_the_cli_says_a_bad_token_in_one_sentence(fake, tmp_path):
    env = fake.environ(ZENDESK_API_TOKEN="bad-token-xyz")
    process = _backlog(
        "pull",
        "--source",
        "zendesk",
        "--date",
        "2026-03-02",
        "--exports",
        "e",
        env=env,
        cwd=tmp_path,
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "Zendesk refused the credentials (HTTP 401)" in err
    assert "check ZENDESK_EMAIL and ZENDESK_API_TOKEN" in " ".join(err.split())
    assert "Traceback" not in err
    assert "bad-token-xyz" not in out + err
    assert not (tmp_path / "e" / "2026-03-02").exists()
