"""A fake helpdesk API on loopback (real HTTP), for driving `backlog pull` in tests.

`FakeApi` is the server: it checks the credentials, answers a vendor's routes (see
`fake_zendesk` and `fake_vendors`), records every request with the exact bytes it sent,
and fails on demand per route: a status (429 with `Retry-After`, 500), a dropped
connection, or a 200 whose JSON body is cut short.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import LoopbackServer

# route handler: (query, api) -> (status, extra headers, JSON payload)
Handler = Callable[[dict[str, str], "FakeApi"], tuple[int, dict[str, str], Any]]


@dataclass
class Failure:
    """One programmed failure of a route."""

    status: int = 500
    retry_after: str | None = None
    drop: bool = False
    truncate: bool = False
    delay: float = 0.0  # seconds before answering (status 200: then answer normally)


@dataclass
class Recorded:
    """One request as the fake saw it, and what it answered (the exact body bytes)."""

    path: str
    query: dict[str, str]
    authorized: bool
    status: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def basic(user: str, password: str) -> str:
    """The Authorization header of HTTP basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeApi(LoopbackServer):
    """A fake API on 127.0.0.1, started and stopped as a context manager."""

    def __init__(self, routes: dict[str, Handler], authorization: str) -> None:
        self.routes = routes
        self.authorization = authorization
        self.requests: list[Recorded] = []
        super().__init__()

    def fail(self, path: str, *failures: Failure) -> None:
        """Queue failures for the next requests of `path` (one each)."""
        self._queue_failures(path, list(failures))

    def sent(self, path: str) -> list[bytes]:
        """The bodies of the 200 answers to `path`, in order."""
        return [r.body for r in self.requests if r.path == path and r.status == 200]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                record = Recorded(
                    parts.path, query, self.headers.get("Authorization") == api.authorization
                )
                with api._lock:
                    api.requests.append(record)
                failure = api._next_failure(parts.path)
                if failure is not None and failure.delay:
                    time.sleep(failure.delay)
                if failure is not None and failure.status == 200 and not failure.truncate:
                    failure = None
                if failure is not None and failure.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if failure is not None and not failure.truncate:
                    extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                    self._answer(record, failure.status, extra, {"error": "failure"})
                    return
                if not record.authorized:
                    self._answer(record, 401, {}, {"error": "Couldn't authenticate you"})
                    return
                route = api.routes.get(parts.path)
                if route is None:
                    self._answer(record, 404, {}, {"error": "InvalidEndpoint"})
                    return
                status, headers, payload = route(query, api)
                body = json.dumps(payload, separators=(",", ":")).encode()
                if failure is not None and failure.truncate:
                    body = body[: len(body) // 2]
                self._answer(record, status, headers, body)

            def _answer(
                self, record: Recorded, status: int, headers: dict[str, str], payload: Any
            ) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                record.status, record.body, record.headers = status, body, headers
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return _Handler
