"""The local Prefect server: started by this process, and announced by `backlog serve`.

Without `PREFECT_API_URL`, a `backlog` process that runs a flow needs a Prefect server,
and starts one itself (`start_local_server`: Prefect's server app in a child process,
2.4-2.6 s to come up on an idle 2-core machine). A one-off command (`backlog run`, `backfill`,
`digest`, `review`) keeps it for its one run, as Prefect's "temporary server";
`backlog serve` keeps it while it serves and writes its address beside the warehouse
(`<db_path>.prefect-api`), and a `backlog run` on the same warehouse that finds it
answering uses it instead of starting its own. Either way the server is started first
thing, before Prefect is imported (the address must be chosen before Prefect reads its
settings), so it comes up while the process imports the rest; and it ends with the
process that started it, however that process ends.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tasks.config import Settings

API_URL = "PREFECT_API_URL"
# what Prefect's SubprocessASGIServer sets for its server: the UI off, the ephemeral mode
SERVER_ENVIRONMENT = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}


def announcement(settings: Settings) -> Path:
    """Where `backlog serve` writes the address of its server: beside the warehouse."""
    return Path(f"{settings.db_path}.prefect-api")


def announce(settings: Settings, api_url: str) -> Path:
    """Write the serving process's API address (and pid) for `backlog run` to find."""
    path = announcement(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")
    return path


def withdraw(settings: Settings) -> None:
    """Remove the announcement when the serving process stops (if it is still ours)."""
    path = announcement(settings)
    found = _read(path)
    if found is not None and found.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def running_server(settings: Settings, timeout: float = 1.0) -> str | None:
    """The API address a `backlog serve` on this warehouse announced, if it answers now."""
    found = _read(announcement(settings))
    if not found or not isinstance(found.get("api_url"), str):
        return None
    url = found["api_url"]
    if not url.startswith("http://127.0.0.1:"):
        return None  # only a server on this machine's loopback is reused
    return url if _answers(url, timeout) else None


def reuse_running_server(settings: Settings) -> str | None:
    """Point this process at `backlog serve`'s server when no API is configured and one
    answers; the address used, or None (the flow then starts its own local server)."""
    if os.environ.get(API_URL):
        return None  # a configured server (or Prefect Cloud) is used as it is
    url = running_server(settings)
    if url is not None:
        os.environ[API_URL] = url
    return url


class LocalServer:
    """Prefect's server app in a child process on a free loopback port: this process's API.

    What Prefect's ephemeral mode runs (`SubprocessASGIServer`: uvicorn with Prefect's
    app factory, its UI off), started without importing Prefect first. This process
    still uses the server while it stops (a run records its end, `serve` pauses its
    schedules), so the signals that stop this process do not reach the server: it is in
    a process group of its own (a Ctrl-C at the terminal), and it keeps SIGTERM blocked
    (`systemctl stop` sends SIGTERM to every process of the service at once). It stops
    on SIGINT: sent at exit, and by the kernel when this process ends, however it ends
    (Linux).
    """

    def __init__(self, process: subprocess.Popen, api_url: str, timeout: float) -> None:
        self.process = process
        self.api_url = api_url
        self.timeout = timeout
        atexit.register(self.stop)

    def wait_ready(self) -> None:
        """Return once the server answers its health check; fail in one sentence if it
        exits or does not answer within the start-up timeout."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _answers(self.api_url, timeout=1.0):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"Prefect's local server at {self.api_url} did not start within "
            f"{self.timeout:.0f} s (its errors are printed above); run again, or set "
            f"{API_URL} to a running Prefect server."
        )

    def run_settings(self) -> contextlib.AbstractContextManager:
        """Prefect's settings for the flow runs on this server: no heartbeats.

        A run's heartbeats tell a server that outlives the run's process that the run has
        not crashed; this server ends with the process that runs the flows. And a run's
        end waits for its heartbeat thread to finish its current one-second sleep: 0.5 s
        on average, up to 1 s, for every run.
        """
        from prefect.settings import temporary_settings

        return temporary_settings(updates={"flows.heartbeat_frequency": None})

    def stop(self) -> None:
        """Stop the server (and wait for it) if it still runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # its SIGTERM is blocked
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_local_server() -> LocalServer | None:
    """Start Prefect's server for this process when no server is set; None when one is.

    Call it before Prefect is imported: it points this process's Prefect settings at the
    new server (`PREFECT_API_URL`). The server takes seconds to come up; started first,
    it comes up while this process imports the flows and Great Expectations. Call
    `wait_ready` before running a flow.
    """
    if os.environ.get(API_URL):
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        server_command(port),
        env={**os.environ, **SERVER_ENVIRONMENT},
        process_group=0,  # terminal signals (Ctrl-C) go to this process only
        stdin=subprocess.DEVNULL,  # out of the terminal's foreground group: never read it
        preexec_fn=functools.partial(_end_with_parent, os.getpid()),
    )
    api_url = f"http://127.0.0.1:{port}/api"
    os.environ[API_URL] = api_url
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20"))
    return LocalServer(process, api_url, timeout)


def server_command(port: int) -> list[str]:
    """The command Prefect's `SubprocessASGIServer` runs (a test compares the two), found
    without importing Prefect."""
    package = importlib.util.find_spec("prefect")  # found, not imported
    site_packages = Path(str(package and package.origin)).parent.parent
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(site_packages),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


def _end_with_parent(parent: int) -> None:
    """In the server's process before it starts: SIGINT when its parent ends (Linux), so
    a `backlog` killed outright (SIGKILL, the OOM killer) leaves no server behind; and
    SIGTERM blocked (a blocked signal stays blocked across exec; uvicorn's handlers do
    not unblock it), so a SIGTERM to all of a service's processes leaves the server to
    its parent, which stops it once it no longer needs it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    # SIGINT ends it even while it starts, also when this process ignores SIGINT (started
    # in the background by a non-interactive shell): an ignored signal stays so in a child
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the line above: end now
        os._exit(1)


def _answers(api_url: str, timeout: float) -> bool:
    """Whether a Prefect server answers its health check at `api_url`."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _read(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
