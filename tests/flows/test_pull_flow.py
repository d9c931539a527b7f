"""`backlog run --pull`: the daily flow pulls the days not pulled yet, then loads and reports."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from flows.daily_backlog import daily_backlog
from tasks import pull, warehouse
from tasks.config import load_settings
from tests.support.fake_zendesk import TOKEN, FakeZendesk, synthetic_account

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
TICKETS = "/api/v2/incremental/tickets/cursor.json"

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_run_pull_fetches_each_missing_day_once_then_reports(tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client

    account = synthetic_account([D1, D2, D3], per_day=7)
    exports, db, out = tmp_path / "exports", tmp_path / "b.duckdb", tmp_path / "out"
    with FakeZendesk(account, page_size=3) as fake:
        for name, value in fake.environ().items():
            monkeypatch.setenv(name, value)
        first = daily_backlog(
            exports=exports,
            day=D1,
            source="zendesk",
            db=db,
            out=out,
            pull=True,
            return_state=True,
        )
        assert first.is_completed()
        # the first pulled day has no earlier export to compare columns with: no drift
        first_quality = first.result()["data_quality"]
        assert not [c for c in first_quality["checks_failed"] if "new column" in c]
        result = daily_backlog(exports=exports, day=D3, source="zendesk", db=db, out=out, pull=True)
        starts = [r.query.get("start_time") for r in fake.requests if r.path == TICKETS]
    # one first page per day, each from its midnight: D1 by the first run, D2 and D3 by the
    # second (D2 was missing); 1772409600 = 2026-03-02T00:00:00Z, + 86400 a day
    assert [s for s in starts if s] == ["1772409600", "1772496000", "1772582400"]
    assert sorted(p.name for p in exports.iterdir()) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert result["date"] == "2026-03-04"
    assert result["flow"]["inflow"] == 7  # D3's 7 new tickets
    with warehouse.connect(load_settings(db_path=db)) as con:
        assert pull.pulled_days(con, "zendesk") == [D1, D2, D3]
        loaded = con.execute("select distinct export_date from ops.loads order by 1").fetchall()
    assert loaded == [(D1,), (D2,), (D3,)]

    async def stored_parameters() -> str:
        async with get_client() as client:
            run = await client.read_flow_run(first.state_details.flow_run_id)
            return repr(run.parameters)

    assert TOKEN not in asyncio.run(stored_parameters())
    for path in [*out.rglob("*"), *exports.rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


def test_serve_passes_the_schedules_source_and_pull(monkeypatch):
    from flows.serve import deployments

    monkeypatch.setenv("BACKLOG_SCHEDULE__SOURCE", "zendesk")
    monkeypatch.setenv("BACKLOG_SCHEDULE__PULL", "true")
    daily = deployments(load_settings())[0]
    assert daily.parameters["source"] == "zendesk"
    assert daily.parameters["pull"] is True
    assert not any("ZENDESK" in str(value) for value in daily.parameters.values())


def test_credentials_from_prefect_secret_blocks(tmp_path, monkeypatch):
    from prefect.blocks.system import Secret

    from flows.steps import pull_environment

    account = synthetic_account([D1], per_day=7)
    exports, db, out = tmp_path / "exports", tmp_path / "b.duckdb", tmp_path / "out"
    with FakeZendesk(account, page_size=3) as fake:
        for name, value in fake.environ().items():
            monkeypatch.delenv(name, raising=False)
            Secret(value=value).save(name.lower().replace("_", "-"), overwrite=True)
        monkeypatch.setenv("ZENDESK_EMAIL", fake.environ()["ZENDESK_EMAIL"])  # env wins
        found = pull_environment("zendesk")
        assert found == fake.environ()
        result = daily_backlog(exports=exports, day=D1, source="zendesk", db=db, out=out, pull=True)
    assert result["flow"]["inflow"] == 7
    assert (exports / "2026-03-02" / "tickets-0001.json").exists()
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()
