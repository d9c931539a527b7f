"""The Prefect flows, run for real under one `prefect_test_harness` per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from flows import steps
from flows.backfill import backfill
from flows.cli import prefect_environment
from flows.daily_backlog import daily_backlog
from flows.digest import digest as digest_flow
from tasks import models, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.render import markdown
from tasks.reports import digest
from tests.support.paths import ROOT

START = date(2026, 2, 2)
DAYS = 21
END = START + timedelta(days=DAYS - 1)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flows") / "exports"
    generate_exports(root, SyntheticConfig(start=START, days=DAYS, seed=5, tickets_per_day=25))
    return root


@dataclass(frozen=True)
class Backfilled:
    """The 21 days backfilled once for the module; tests work on copies (`copy_to`)."""

    work: Path
    result: dict[str, Any]

    def copy_to(self, tmp_path: Path) -> tuple[Path, Path]:
        """A copy of the backfill's warehouse and output folder: (db, out)."""
        shutil.copytree(self.work, tmp_path / "backfilled")
        return tmp_path / "backfilled" / "backlog.duckdb", tmp_path / "backfilled" / "out"


@pytest.fixture(scope="module")
def backfilled(exports, tmp_path_factory) -> Backfilled:
    work = tmp_path_factory.mktemp("backfilled")
    db, out = work / "backlog.duckdb", work / "out"
    state = backfill(exports=exports, start=START, end=END, db=db, out=out, return_state=True)
    assert state.is_completed()
    return Backfilled(work, state.result())


def test_backfill_then_daily_rerun_is_byte_identical(exports, backfilled, tmp_path):
    db, out = backfilled.copy_to(tmp_path)
    result = backfilled.result
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
        runs = con.execute("select run_key[2] from ops.validation_runs").fetchall()
        runs = [name for (name,) in runs]
    assert rebuilt.encode() == written
    # 21 days in 3 batches of 7, one GX run per entity and batch; the index lists them all
    assert len(runs) == 6
    index = (out / "data-docs" / "index.html").read_text()
    assert [name for name in runs if name not in index] == []


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
    exports, backfilled, tmp_path, monkeypatch
):
    import asyncio

    from prefect.client.orchestration import get_client

    try:
        from fake_slack import FakeSlack
    except ImportError:  # tests/ imported as a package
        from tests.support.fake_slack import FakeSlack

    token = "xoxb-9999-8888-FLOWsecretTOKEN"
    with FakeSlack(token=token) as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
        monkeypatch.setenv("SLACK_CHANNEL", "C0DIGEST")
        monkeypatch.setenv("SLACK_API_URL", fake.url + "/api")
        db, out = backfilled.copy_to(tmp_path)
        day = END
        first = daily_backlog(
            exports=exports, day=day, db=db, out=out, post=True, return_state=True
        )
        assert first.is_completed()
        daily_backlog(exports=exports, day=day, db=db, out=out, post=True)
        assert len(fake.top_level_messages()) == 1
        replies = [m for m in fake.messages.values() if m.get("thread_ts")]
        assert len(replies) == 1  # the lists, one reply in the message's thread
        assert len(fake.calls("chat.update")) == 2  # the re-run edits the message and reply
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


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_digest_flow_writes_the_files_of_the_run_of_day_d(backfilled, tmp_path):
    (db, run_out), digest_out = backfilled.copy_to(tmp_path), tmp_path / "again"
    last = END
    expected = backfilled.result
    written = _files(run_out)
    assert any(name.startswith("kb/") for name in written), "the run wrote KB drafts"
    assert any(name.startswith("data-docs/") for name in written), "the run wrote Data Docs"

    run = digest_flow(day=last, db=db, out=digest_out)
    assert run.digest == expected
    assert run.delivery is None  # not asked to post
    again = _files(digest_out)
    # the backfill also rendered the pages of its earlier batches (2026-02-02..08 and
    # 02-09..15), so its Data Docs index lists every stored run; the day's own files are the same
    earlier = {
        name
        for name in written
        if name.startswith("data-docs/validations/") and f"_{last}_" not in name
    }
    assert len(earlier) == 4  # one GX run per entity for each earlier batch of 7 days
    # digest, drafts, Data Docs, message, preview
    assert sorted(again) == sorted(set(written) - earlier)
    for name in (f"digest-{last}.json", f"digest-{last}.md", f"digest-{last}.blocks.json"):
        assert again[name] == written[name]
    drafts = [name for name in written if name.startswith("kb/")]
    assert [again[name] for name in drafts] == [written[name] for name in drafts]


def test_a_reader_of_the_copy_does_not_stop_the_run_and_the_copy_is_the_warehouse(
    exports, tmp_path
):
    db, out = tmp_path / "backlog.duckdb", tmp_path / "out"
    backfill(exports=exports, start=START, end=START + timedelta(days=4), db=db, out=out)
    copy = out / "backlog-latest.duckdb"
    # an analyst's notebook, another process, holds the copy open while the morning runs
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(copy)!r}, read_only=True)\n"
            "days = 'select count(*) from marts.fct_daily_flow'\n"
            "print(con.execute(days).fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(con.execute(days).fetchone()[0], flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "5"
        state = daily_backlog(
            exports=exports, day=START + timedelta(days=5), db=db, out=out, return_state=True
        )
        assert state.is_completed()
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "5"  # its copy, until it reopens
    finally:
        reader.kill()
        reader.wait()
        reader.stdin.close()
        reader.stdout.close()

    # the new copy holds every table of the warehouse, row for row
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("attach ? as readers (read_only)", [str(copy)])
        tables = con.execute(
            "select database_name, schema_name, table_name from duckdb_tables() "
            "where database_name in (current_database(), 'readers') order by all"
        ).fetchall()
        own = [(s, t) for d, s, t in tables if d != "readers"]
        assert own == [(s, t) for d, s, t in tables if d == "readers"]
        assert ("marts", "fct_daily_flow") in own
        for schema, table in own:
            name = f"{schema}.{table}"
            counts = con.execute(
                f"select (select count(*) from {name}), (select count(*) from readers.{name}), "
                f"(select count(*) from (select * from {name} except all "
                f"select * from readers.{name})), (select count(*) from (select * from "
                f"readers.{name} except all select * from {name}))"
            ).fetchone()
            assert counts == (counts[0], counts[0], 0, 0), name
        assert con.execute("select count(*) from readers.marts.fct_daily_flow").fetchone() == (6,)


def test_a_run_with_the_copy_switched_off_removes_the_old_one(tmp_path):
    """A team that sets readers_copy = false after runs that published one: the run
    removes it (else a dashboard reads its figures as today's) and the flow says so."""
    settings = load_settings(
        db_path=tmp_path / "backlog.duckdb", out_dir=tmp_path / "out", readers_copy=False
    )
    settings.readers_copy_path.parent.mkdir()
    settings.readers_copy_path.write_bytes(b"an earlier run's copy")
    with duckdb.connect(str(settings.db_path)) as con:
        removed = steps.publish_readers_copy.fn(con, settings)
        again = steps.publish_readers_copy.fn(con, settings)
    assert isinstance(removed, warehouse.RemovedCopy)
    assert not settings.readers_copy_path.exists()
    assert again is None


@pytest.mark.parametrize(
    ("start", "end", "source", "message"),
    [
        (END, START, "canonical", f"--end {START} is before --start {END}; swap them."),
        (
            END + timedelta(days=10),
            END + timedelta(days=20),
            "canonical",
            "No export folders between",
        ),
        (START, END, "nope", "Export source 'nope' is not supported"),
    ],
)
def test_backfill_checks_its_arguments_in_the_flow(exports, tmp_path, start, end, source, message):
    state = backfill(
        exports=exports,
        start=start,
        end=end,
        source=source,
        db=tmp_path / "x.duckdb",
        return_state=True,
    )
    assert state.is_failed()
    with pytest.raises(BacklogError) as raised:
        state.result()
    assert message in str(raised.value)
    assert not (tmp_path / "x.duckdb").exists()  # stopped before opening the warehouse


def test_importing_the_flows_changes_no_environment_and_the_cli_imports_no_prefect():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT_"))}
    env["PYTHONPATH"] = str(ROOT)
    code = (
        "import os, sys\n"
        "before = dict(os.environ)\n"
        "import flows, flows.cli\n"
        "assert 'prefect' not in sys.modules, 'flows.cli imports prefect'\n"
        "import flows.daily_backlog, flows.backfill, flows.digest, flows.serve\n"
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_prefect_yaml_matches_the_flows_and_runs_them_with_telemetry_off():
    from flows.serve import deployments

    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text("utf-8"))["deployments"]
    served = {d.name: d for d in deployments(load_settings())}
    assert sorted(d["name"] for d in declared) == sorted(served)
    telemetry = prefect_environment(debug=True)
    for deployment in declared:
        path, name = deployment["entrypoint"].split(":")
        module = path.removesuffix(".py").replace("/", ".")
        chosen = getattr(__import__(module, fromlist=[name]), name)
        assert chosen.name == served[deployment["name"]].flow_name
        accepted = chosen.parameters.properties
        assert set(deployment["parameters"]) <= set(accepted)
        assert set(served[deployment["name"]].parameters) <= set(accepted)
        assert deployment["work_pool"]["job_variables"]["env"] == telemetry
