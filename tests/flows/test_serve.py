"""`backlog serve` without a configured Prefect server: its scheduled runs use its server
and run in its process.

`serve` starts one server (announced beside the warehouse) and runs each scheduled flow
run itself: no second server, no new process paying the imports again, and the run's
states and logs in the server `serve` keeps. A failed day ends its run failed and the
next run still runs. Real processes end to end: `backlog serve`, then runs of its daily
deployment from a client pointed at the announced server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.paths import ROOT
from tests.support.processes import alive, children, is_server

BACKLOG = Path(sys.executable).parent / "backlog"
TRIGGER = """
import sys, time
from prefect import get_client
from prefect.deployments import run_deployment
with get_client(sync_client=True) as client:  # both schedules registered, active
    for name in ("daily-backlog/daily-digest", "weekly-review/weekly-review"):
        for _ in range(240):  # serve registers them after announcing its server
            try:
                deployment = client.read_deployment_by_name(name)
                break
            except Exception:
                time.sleep(0.5)
        for schedule in deployment.schedules:
            print(name, schedule.schedule.cron, schedule.active, deployment.paused)
for day in sys.argv[1:]:
    run = run_deployment(
        "daily-backlog/daily-digest", parameters={"day": day}, timeout=300, poll_interval=1
    )
    print(run.state.type.value)
"""


def test_a_scheduled_run_reports_to_serves_server_and_starts_none(tmp_path, small_exports):
    db = tmp_path / "backlog.duckdb"
    config = tmp_path / "backlog.toml"
    config.write_text(
        f'db_path = "{db}"\nout_dir = "{tmp_path / "out"}"\nexports_dir = "{small_exports}"\n',
        encoding="utf-8",
    )
    # no configured server, and none of the Prefect settings earlier tests set in this
    # process (a CLI test leaves PREFECT_LOGGING_LEVEL=CRITICAL, which hides serve's log)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PYTHONPATH": str(ROOT),
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        serve = subprocess.Popen(
            [str(BACKLOG), "serve", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    announcement = Path(f"{db}.prefect-api")
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while not announcement.exists():
            assert serve.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        api = json.loads(announcement.read_text())["api_url"]
        servers = [pid for pid in children(serve.pid) if is_server(pid)]
        done = subprocess.run(
            # 2026-03-04 has no export: a failed day
            [sys.executable, "-c", TRIGGER, "2026-03-04", "2026-03-03"],
            cwd=tmp_path,
            env=env | {"PREFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
    finally:
        # as `systemctl stop` does: SIGTERM to every process of the service at once
        for pid in [serve.pid, *servers]:
            os.kill(pid, signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        finally:
            if serve.poll() is None:  # never leave it to the next tests
                serve.kill()
                serve.wait()
    served = log_path.read_text()
    assert serve.returncode == 0, served
    assert "Stopped serving" in served
    lines = done.stdout.strip().splitlines()
    assert lines[:2] == [
        "daily-backlog/daily-digest 30 6 * * 1-5 True False",
        "weekly-review/weekly-review 0 7 * * 1 True False",
    ], done.stdout + done.stderr
    assert lines[2:] == ["FAILED", "COMPLETED"], done.stdout + done.stderr
    assert (tmp_path / "out" / "digest-2026-03-03.md").exists()
    # both ran in serve's own process, the failed one first
    assert served.count("starts in this process") == 2, served
    assert served.count("ended FAILED") == 1, served
    # one server: the one serve started and announced (Prefect started none of its own)
    assert len(servers) == 1, servers
    assert "Starting temporary server" not in served
    assert f"Prefect's local server is up at {api}" in served
    # when serve stopped: the schedules paused (Prefect's database in PREFECT_HOME), the
    # announcement withdrawn, the server stopped
    with contextlib.closing(sqlite3.connect(tmp_path / "prefect-home" / "prefect.db")) as con:
        paused = sorted(con.execute("select name, paused from deployment").fetchall())
    assert paused == [("daily-digest", 1), ("weekly-review", 1)]
    assert not announcement.exists()
    assert not [pid for pid in servers if alive(pid)]
