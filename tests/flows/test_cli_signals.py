"""A `backlog` process stopped by SIGTERM (a cron timeout, `systemctl stop`) or Ctrl-C takes
Prefect's temporary server with it: no server process outlives the command, not even when
the command is killed outright (SIGKILL, the OOM killer).

A real `backlog run` without a configured server starts Prefect's temporary server (a
uvicorn child process) first; the signal comes as soon as that child exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import ROOT

BACKLOG = Path(sys.executable).parent / "backlog"


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if int(ppid) == pid:
            found.append(int(entry.name))
    return found


def _is_server(pid: int) -> bool:
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False
    return b"uvicorn" in command and b"prefect.server.api.server" in command


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -9)]
)
def test_a_stopped_run_leaves_no_prefect_server(tmp_path, small_exports, sent, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONPATH": str(ROOT)}
    args = ["run", "--exports", str(small_exports), "--date", "2026-03-03"]
    # output to files, not pipes: a surviving server would hold a pipe open for ever
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(
            [str(BACKLOG), *args, "--db", str(tmp_path / "backlog.duckdb")],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            # as a command typed at a terminal: started in the background by a
            # non-interactive shell (CI, `make test &`), this test would ignore SIGINT
            preexec_fn=_default_sigint,
        )
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not servers and process.poll() is None and time.monotonic() < deadline:
            servers = [pid for pid in _children(process.pid) if _is_server(pid)]
            time.sleep(0.05)
        assert servers, "backlog run started no temporary Prefect server"
        process.send_signal(sent)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in servers if _alive(pid)]
    for pid in survivors:  # do not leave them to the next test either
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], f"Prefect's server outlived `backlog run` ({sent.name})"
    stderr = (tmp_path / "stderr").read_text()
    assert process.returncode == code, stderr
    if sent != signal.SIGKILL:  # killed outright, it says nothing; its server still ends
        assert "Interrupted" in stderr
