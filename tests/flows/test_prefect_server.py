"""The production path, end to end on loopback: a real Prefect server, a process work
pool, `prefect deploy --all` from prefect.yaml, a worker, one run of the daily deployment.

Telemetry is off and every address is 127.0.0.1; every process started here is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tests.support.paths import ROOT

PREFECT = Path(sys.executable).parent / "prefect"
START = date(2026, 1, 5)
DAYS = 3
DAY = START + timedelta(days=DAYS - 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(api: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"prefect server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started here and its children (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def prefect_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server on a free loopback port with its own PREFECT_HOME; its env."""
    port = _free_port()
    (tmp_path / "backlog.toml").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(ROOT),
        BACKLOG_CONFIG=str(tmp_path / "backlog.toml"),  # empty: the defaults
        BACKLOG_DB_PATH=str(tmp_path / "warehouse" / "backlog.duckdb"),
        BACKLOG_OUT_DIR=str(tmp_path / "out"),
    )
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(env["PREFECT_API_URL"], server)
        yield env
    finally:
        _stop(server)
        log.close()


def _prefect(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(PREFECT), "--no-prompt", *args],
        cwd=ROOT,
        env={**env, "PWD": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_daily_deployment_runs_on_a_real_server_through_a_worker(
    tmp_path: Path, prefect_env: dict[str, str]
) -> None:
    exports = tmp_path / "exports"
    generate_exports(exports, SyntheticConfig(start=START, days=DAYS, tickets_per_day=15))

    _prefect(["work-pool", "create", "backlog", "--type", "process"], prefect_env)
    _prefect(["deploy", "--all"], prefect_env)  # prefect.yaml, as an operator runs it
    assert "daily-digest" in _prefect(["deployment", "ls"], prefect_env)

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(PREFECT), "worker", "start", "--pool", "backlog", "--limit", "1"],
        cwd=ROOT,
        env=prefect_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        params = {"exports": str(exports), "day": DAY.isoformat(), "post": False}
        _prefect(
            [
                "deployment",
                "run",
                "daily-backlog/daily-digest",
                "--params",
                json.dumps(params),
                "--watch",
                "--watch-timeout",
                "150",
            ],
            prefect_env,
        )
    finally:
        _stop(worker)
        log.close()

    digest = json.loads((tmp_path / "out" / f"digest-{DAY}.json").read_text("utf-8"))
    assert digest["date"] == DAY.isoformat()
    assert digest["flow"]["inflow"] > 0
    assert (tmp_path / "warehouse" / "backlog.duckdb").is_file()
