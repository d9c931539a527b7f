"""A real HTTP server on 127.0.0.1 in a background thread: the base of the fake APIs.

Subclasses give `_handler_class` (the request handler) and keep their own routes; this
holds the server's life (a context manager), its address, the lock guarding what the
handler threads record, and the per-route queues of programmed failures.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer:
    """A threading HTTP server on a free loopback port, serving while in a `with` block."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[Any]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """The server's base address, `http://127.0.0.1:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _queue_failures(self, route: str, failures: list[Any]) -> None:
        """Answer the next requests of `route` with `failures`, one each, in order."""
        with self._lock:
            self._failures[route].extend(failures)

    def _next_failure(self, route: str) -> Any | None:
        """The failure programmed for this request of `route`, if any (taken off its queue)."""
        with self._lock:
            queue = self._failures.get(route)
            return queue.popleft() if queue else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError
