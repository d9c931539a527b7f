"""A `backlog` process stopped by SIGTERM (a cron timeout, `systemctl stop`) or Ctrl-C takes
Prefect's local server with it: no server process outlives the command, not even when
the command is killed outright (SIGKILL, the OOM killer).

A real `backlog run` (or `backlog serve`) without a configured server starts Prefect's
server (a uvicorn child process) first; the signal comes as soon as that child exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tests.support.processes import alive, children, default_sigint, is_server

BACKLOG = Path(sys.executable).parent / "backlog"


def _stopped_at_start(
    tmp_path: Path, args: list[str], sent: signal.Signals, preexec: Any = default_sigint
) -> tuple[int, str]:
    """Start `backlog *args` without a configured server, send `sent` as soon as its
    Prefect server exists, and check that server ends too; its exit code and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONPATH": str(ROOT)}
    # output to files, not pipes: a surviving server would hold a pipe open for ever
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(
            [str(BACKLOG), *args],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            # by default as a command typed at a terminal: started in the background by
            # a non-interactive shell (CI, `make test &`), this test would ignore SIGINT
            preexec_fn=preexec,
        )
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not servers and process.poll() is None and time.monotonic() < deadline:
            servers = [pid for pid in children(process.pid) if is_server(pid)]
            time.sleep(0.05)
        assert servers, f"backlog {args[0]} started no Prefect server"
        process.send_signal(sent)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in servers if alive(pid)]
    for pid in survivors:  # do not leave them to the next test either
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], f"Prefect's server outlived `backlog {args[0]}` ({sent.name})"
    return process.returncode, (tmp_path / "stderr").read_text()


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -9)]
)
def test_a_stopped_run_leaves_no_prefect_server(tmp_path, small_exports, sent, code):
    args = ["run", "--exports", str(small_exports), "--date", "2026-03-03"]
    returncode, stderr = _stopped_at_start(
        tmp_path, [*args, "--db", str(tmp_path / "backlog.duckdb")], sent
    )
    assert returncode == code, stderr
    if sent != signal.SIGKILL:  # killed outright, it says nothing; its server still ends
        assert "Interrupted" in stderr


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_a_killed_serve_leaves_no_prefect_server(tmp_path):
    # stopped by SIGTERM (`systemctl stop`), serve stops its server: tests/flows/test_serve.py
    config = tmp_path / "backlog.toml"
    config.write_text(f'db_path = "{tmp_path / "backlog.duckdb"}"\n', encoding="utf-8")
    args = ["serve", "--config", str(config)]
    # started as a service often is, in the background of a non-interactive shell, where
    # SIGINT is ignored: the server ends on SIGINT when serve ends, also there
    returncode, stderr = _stopped_at_start(tmp_path, args, signal.SIGKILL, _ignore_sigint)
    assert returncode == -9, stderr
