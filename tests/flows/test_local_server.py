"""`backlog run` reuses the Prefect server a `backlog serve` on the same warehouse keeps up."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from flows import local_server
from tasks.config import load_settings


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def api():
    """A loopback server that answers /api/health as Prefect's does."""
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_a_run_uses_the_server_serve_announced(tmp_path, monkeypatch, api):
    # setenv first, so the test restores the variable's absence even after the code
    # under test sets it (a leaked address of a stopped server breaks later CLI tests)
    monkeypatch.setenv("PREFECT_API_URL", "")
    monkeypatch.delenv("PREFECT_API_URL")
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    assert local_server.reuse_running_server(settings) is None  # nothing announced

    path = local_server.announce(settings, api)
    assert path == tmp_path / "backlog.duckdb.prefect-api"
    assert json.loads(path.read_text()) == {"api_url": api, "pid": os.getpid()}
    assert local_server.reuse_running_server(settings) == api
    assert os.environ["PREFECT_API_URL"] == api

    # another warehouse's run does not see it
    other = load_settings(db_path=tmp_path / "other.duckdb")
    assert local_server.running_server(other) is None

    local_server.withdraw(settings)
    assert not path.exists()


def test_a_dead_or_foreign_announcement_is_ignored(tmp_path, monkeypatch, api):
    # setenv first, so the test restores the variable's absence even after the code
    # under test sets it (a leaked address of a stopped server breaks later CLI tests)
    monkeypatch.setenv("PREFECT_API_URL", "")
    monkeypatch.delenv("PREFECT_API_URL")
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    port = int(api.rsplit(":", 1)[1].split("/")[0])
    # a server that stopped without withdrawing (nothing answers on that port now)
    local_server.announce(settings, f"http://127.0.0.1:{port + 1 if port < 65535 else 1}/api")
    assert local_server.reuse_running_server(settings) is None
    assert "PREFECT_API_URL" not in os.environ
    # an address off this machine is never used, whatever answers there
    local_server.announce(settings, api.replace("127.0.0.1", "localhost"))
    assert local_server.running_server(settings) is None
    # an announcement of another process is not removed by this one
    local_server.announcement(settings).write_text(json.dumps({"api_url": api, "pid": -1}))
    local_server.withdraw(settings)
    assert local_server.announcement(settings).exists()


def test_a_configured_server_is_kept(tmp_path, monkeypatch, api):
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    local_server.announce(settings, api)
    assert local_server.reuse_running_server(settings) is None
    assert os.environ["PREFECT_API_URL"] == "http://prefect.example:4200/api"


def test_the_server_command_is_the_one_prefects_subprocess_server_runs(monkeypatch):
    """We start Prefect's server ourselves, before Prefect is imported; a Prefect upgrade
    that changes how its ephemeral server is started fails here, not at a user's morning."""
    from prefect.server.api import server as prefect_server

    started = []

    def popen(args, env):
        started.append((args, env))

    monkeypatch.setattr(prefect_server.subprocess, "Popen", popen)
    subprocess_server = object.__new__(prefect_server.SubprocessASGIServer)
    subprocess_server.port = 8765
    subprocess_server._run_uvicorn_command()
    ((args, env),) = started
    assert local_server.server_command(8765) == args
    assert local_server.SERVER_ENVIRONMENT.items() <= env.items()
