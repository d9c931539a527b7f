"""The Prefect flows, run for real under one `prefect_test_harness` per session."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from flows.backfill import backfill
from flows.daily_backlog import daily_backlog
from tasks import models, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.render import markdown
from tasks.reports import digest

START = date(2026, 2, 2)
DAYS = 21
END = START + timedelta(days=DAYS - 1)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flows") / "exports"
    generate_exports(root, SyntheticConfig(start=START, days=DAYS, seed=5, tickets_per_day=25))
    return root


def test_backfill_then_daily_rerun_is_byte_identical(exports, tmp_path):
    db, out = tmp_path / "backlog.duckdb", tmp_path / "out"
    state = backfill(exports=exports, start=START, end=END, db=db, out=out, return_state=True)
    assert state.is_completed()
    result = state.result()
    written = (out / f"digest-{END}.json").read_bytes()
    assert json.loads(written) == result
    assert (out / f"digest-{END}.md").read_text().startswith(f"# Backlog digest, {END}")

    again = daily_backlog(exports=exports, day=END, db=db, out=out)
    assert again == result
    assert (out / f"digest-{END}.json").read_bytes() == written

    settings = load_settings(db_path=db, out_dir=out)
    with warehouse.connect(settings) as con:
        assert (
            con.execute("select count(distinct export_date) from ops.loads").fetchone()[0] == DAYS
        )
        assert models.failing_invariants(con) == {}
        rebuilt = digest.to_json(digest.build_digest(con, END, settings))
    assert rebuilt.encode() == written


def test_daily_runs_day_by_day_equal_one_backfill(exports, tmp_path):
    one_go, day_by_day = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    last = START + timedelta(days=6)
    expected = backfill(exports=exports, start=START, end=last, db=one_go, out=tmp_path / "a")
    for offset in range(7):
        result = daily_backlog(
            exports=exports, day=START + timedelta(days=offset), db=day_by_day, out=tmp_path / "b"
        )
    # knowledge-base ids carry over from earlier runs, so they depend on the run history;
    # the clusters themselves do not
    for digest_ in (result, expected):
        for candidate in digest_["kb_candidates"]:
            candidate.pop("candidate_id")
        digest_["kb_candidates"].sort(key=lambda c: (c["title"], c["ticket_ids"]))
    assert result == expected


def test_flow_fails_with_the_clear_message(exports, tmp_path):
    state = daily_backlog(
        exports=exports,
        day=END + timedelta(days=3),
        db=tmp_path / "x.duckdb",
        out=tmp_path / "out",
        return_state=True,
    )
    assert state.is_failed()
    with pytest.raises(BacklogError, match=r"^No export for"):
        state.result()


def test_daily_flow_posts_once_then_updates_and_keeps_the_token_out_of_prefect(
    exports, tmp_path, monkeypatch
):
    import asyncio

    from prefect.client.orchestration import get_client

    try:
        from fake_slack import FakeSlack
    except ImportError:  # tests/ imported as a package
        from tests.fake_slack import FakeSlack

    token = "xoxb-9999-8888-FLOWsecretTOKEN"
    with FakeSlack(token=token) as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
        monkeypatch.setenv("SLACK_CHANNEL", "C0DIGEST")
        monkeypatch.setenv("SLACK_API_URL", fake.url + "/api")
        db, out = tmp_path / "b.duckdb", tmp_path / "out"
        day = START + timedelta(days=2)
        backfill(exports=exports, start=START, end=day, db=db, out=out)
        first = daily_backlog(
            exports=exports, day=day, db=db, out=out, post=True, return_state=True
        )
        assert first.is_completed()
        daily_backlog(exports=exports, day=day, db=db, out=out, post=True)
        assert len(fake.top_level_messages()) == 1
        assert len(fake.calls("chat.update")) == 1
        assert len(fake.calls("files.completeUploadExternal")) == 1  # the chart, once

    async def stored_parameters() -> str:
        async with get_client() as client:
            run = await client.read_flow_run(first.state_details.flow_run_id)
            return repr(run.parameters)

    assert token not in asyncio.run(stored_parameters())
    for path in out.rglob("*"):
        if path.is_file():
            assert token not in path.read_text(errors="replace")
    blocks = json.loads((out / f"digest-{day}.blocks.json").read_text())
    assert blocks["blocks"][0]["type"] == "header"


def test_serve_declares_both_schedules_in_the_team_zone():
    from flows.serve import deployments

    settings = load_settings(report_timezone="Europe/Berlin")
    daily, weekly = deployments(settings)
    assert (daily.name, weekly.name) == ("daily-digest", "weekly-review")
    assert daily.schedules[0].schedule.cron == "30 6 * * 1-5"
    assert daily.schedules[0].schedule.timezone == "Europe/Berlin"
    assert weekly.schedules[0].schedule.cron == "0 7 * * 1"
    assert daily.parameters["post"] is True


def test_a_monday_run_also_loads_the_weekend_exports(exports, tmp_path):
    db, out = tmp_path / "b.duckdb", tmp_path / "out"
    daily_backlog(exports=exports, day=START, db=db, out=out)
    daily_backlog(exports=exports, day=START + timedelta(days=3), db=db, out=out)
    with warehouse.connect(load_settings(db_path=db)) as con:
        loaded = [
            row[0]
            for row in con.execute(
                "select distinct export_date from ops.loads order by 1"
            ).fetchall()
        ]
    assert loaded == [START + timedelta(days=offset) for offset in range(4)]


def test_a_cut_list_names_the_digest_file_holding_the_rest():
    lines = markdown._more(list(range(7)), "2026-03-02", limit=5)
    assert lines == ["- and 2 more in digest-2026-03-02.json"]
    assert markdown._more(list(range(5)), "2026-03-02", limit=5) == []
