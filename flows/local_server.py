"""The local Prefect server `backlog serve` keeps up, announced so `backlog run` can reuse it.

Without `PREFECT_API_URL`, every `backlog` process that runs a flow starts Prefect's
temporary server first (6-9 s, TOOLCHAIN.md). `backlog serve` starts one and keeps it:
it writes its address beside the warehouse (`<db_path>.prefect-api`), and a `backlog run`
on the same warehouse that finds it answering uses it instead of starting its own.
Nothing here imports Prefect at import time: the address must be chosen before Prefect
is imported. Without any server, `start_temporary_server` starts Prefect's temporary
one early, so it comes up while the process imports the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tasks.config import Settings

API_URL = "PREFECT_API_URL"


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
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return url if response.status == 200 else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


def reuse_running_server(settings: Settings) -> str | None:
    """Point this process at `backlog serve`'s server when no API is configured and one
    answers; the address used, or None (the flow then starts Prefect's temporary server)."""
    if os.environ.get(API_URL):
        return None  # a configured server (or Prefect Cloud) is used as it is
    url = running_server(settings)
    if url is not None:
        os.environ[API_URL] = url
    return url


def start_temporary_server() -> threading.Thread | None:
    """Start Prefect's temporary server in a background thread when no server is set.

    The server is a process of its own that takes seconds to come up; started first,
    it comes up while this process imports the flows and Great Expectations instead of
    after. Join the thread before running a flow. A failure here is left to the flow,
    whose Prefect client starts the server again and says why.
    """
    if os.environ.get(API_URL):
        return None

    def boot() -> None:
        with contextlib.suppress(Exception):
            from prefect.server.api.server import SubprocessASGIServer

            SubprocessASGIServer().start()  # the instance the flow's client then finds

    thread = threading.Thread(target=boot, name="prefect-server", daemon=True)
    thread.start()
    return thread


def _read(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
