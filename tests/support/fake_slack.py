"""A fake Slack Web API on loopback, for driving the real slack_sdk in tests.

It answers `chat.postMessage`, `chat.update`, `files.getUploadURLExternal`, the
upload URL it hands out, `files.completeUploadExternal`, `auth.test` and one
incoming-webhook path, keeps the messages and files it was given, records every
request, and fails on demand: a status (429 with `Retry-After`, 5xx), a Slack
error (`invalid_auth`), or a connection dropped without an answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.support.loopback import LoopbackServer

WEBHOOK_PATH = "/hooks/T0FAKE/B0FAKE/s3cr3tW3bh00kP4th"


@dataclass
class Failure:
    """One programmed failure: an HTTP status, a Slack error, or a dropped connection."""

    status: int = 500
    error: str | None = None
    retry_after: str | float | None = None
    drop: bool = False


@dataclass
class Recorded:
    """One request as the fake saw it, and how it answered."""

    route: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    status: int = 0
    ok: bool = False
    at: float = field(default_factory=time.monotonic)


class FakeSlack(LoopbackServer):
    """A fake Slack on 127.0.0.1, started and stopped as a context manager."""

    def __init__(self, token: str = "xoxb-fake-test-token-0000", aliases: dict | None = None):
        self.token = token
        self.aliases = dict(aliases or {})  # channel given -> channel id answered
        self.requests: list[Recorded] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.webhook_messages: list[dict[str, Any]] = []
        self._counter = 0
        super().__init__()

    # ---- addresses

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    # ---- programming and inspecting

    def fail(self, route: str, failure: Failure, times: int = 1) -> None:
        """Answer the next `times` requests to `route` with `failure`.

        Routes: a Web API method (`chat.postMessage`), `upload`, or `webhook`.
        """
        self._queue_failures(route, [failure] * times)

    def calls(self, route: str) -> list[Recorded]:
        """Every request to a route, in order."""
        return [r for r in self.requests if r.route == route]

    def top_level_messages(self) -> list[dict[str, Any]]:
        """Messages that are not thread replies."""
        return [m for m in self.messages.values() if not m.get("thread_ts")]

    # ---- the server

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake._handle(self, raw)

        return Handler

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = handler.path.split("?", 1)[0]
        if path.startswith("/api/"):
            route = path[len("/api/") :]
        elif path.startswith("/upload/"):
            route = "upload"
        elif path.startswith("/hooks/"):
            route = "webhook"
        else:
            route = "unknown"
        body = raw if route == "upload" else _parse(handler, raw)
        record = Recorded(route, handler.path, dict(handler.headers.items()), body, raw)
        with self._lock:
            self.requests.append(record)
        failure = self._next_failure(route)
        if failure is not None:
            self._fail(handler, record, failure, route)
            return
        if route == "upload":
            self._upload(handler, record, path)
        elif route == "webhook":
            self._webhook(handler, record, path)
        else:
            self._api(handler, record, route)

    def _fail(self, handler: Any, record: Recorded, failure: Failure, route: str) -> None:
        if failure.drop:
            handler.close_connection = True
            record.status = -1
            return
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        if route in ("webhook", "upload"):
            text = failure.error or {429: "rate_limited"}.get(failure.status, "internal_error")
            _send(handler, record, failure.status, text.encode(), "text/plain", headers)
        else:
            body = {"ok": False, "error": failure.error or _default_error(failure.status)}
            _send_json(handler, record, failure.status, body, headers)

    def _api(self, handler: Any, record: Recorded, method: str) -> None:
        body = record.body if isinstance(record.body, dict) else {}
        auth = record.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else body.get("token")
        if not token:
            _send_json(handler, record, 200, {"ok": False, "error": "not_authed"})
            return
        if token != self.token:
            _send_json(handler, record, 200, {"ok": False, "error": "invalid_auth"})
            return
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            _send_json(handler, record, 404, {"ok": False, "error": "unknown_method"})
            return
        with self._lock:
            result = answer(body)
        _send_json(handler, record, 200, result)

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team": "Fake", "user": "backlog-bot", "bot_id": "B0FAKE"}

    def _chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        given = body.get("channel")
        if not given:
            return {"ok": False, "error": "channel_not_found"}
        problem = _blocks_problem(body.get("blocks"))
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        channel = self.aliases.get(given, given)
        n = self._next()
        ts = f"{1767000000 + n}.{n:06d}"
        self.messages[(channel, ts)] = {
            "channel": channel,
            "ts": ts,
            "text": body.get("text"),
            "blocks": body.get("blocks"),
            "thread_ts": body.get("thread_ts"),
            "edits": 0,
        }
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}

    def _chat_update(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = body.get("channel"), body.get("ts")
        if not any(c == channel for c, _ in self.messages):
            return {"ok": False, "error": "channel_not_found"}
        message = self.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        problem = _blocks_problem(body.get("blocks"))
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        message.update(text=body.get("text"), blocks=body.get("blocks"))
        message["edits"] += 1
        return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text")}

    def _files_getUploadURLExternal(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("filename") or not str(body.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{self._next():08d}"
        self.files[file_id] = {
            "filename": body["filename"],
            "length": int(body["length"]),
            "data": None,
            "shared": [],
        }
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    def _files_completeUploadExternal(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(body.get("files") or "[]")
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        out = []
        for item in files:
            stored = self.files.get(item.get("id"))
            if stored is None or stored["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            if body.get("channel_id"):
                stored["shared"].append((body["channel_id"], body.get("thread_ts")))
            out.append({"id": item["id"], "title": item.get("title")})
        return {"ok": True, "files": out}

    def _upload(self, handler: Any, record: Recorded, path: str) -> None:
        file_id = path.rsplit("/", 1)[-1]
        with self._lock:
            stored = self.files.get(file_id)
            if stored is not None:
                stored["data"] = record.raw
        if stored is None:
            _send(handler, record, 404, b"not found", "text/plain")
        else:
            _send(handler, record, 200, f"OK - {len(record.raw)}".encode(), "text/plain")

    def _webhook(self, handler: Any, record: Recorded, path: str) -> None:
        if path != WEBHOOK_PATH:
            _send(handler, record, 404, b"no_service", "text/html")
            return
        if not isinstance(record.body, dict) or not (
            record.body.get("text") or record.body.get("blocks")
        ):
            _send(handler, record, 400, b"no_text", "text/html")
            return
        problem = _blocks_problem(record.body.get("blocks"))
        if problem:
            _send(handler, record, 400, b"invalid_blocks", "text/html")
            return
        with self._lock:
            self.webhook_messages.append(record.body)
        _send(handler, record, 200, b"ok", "text/html")


def _parse(handler: BaseHTTPRequestHandler, raw: bytes) -> Any:
    kind = handler.headers.get("Content-Type", "")
    if "json" in kind:
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return raw
    if "x-www-form-urlencoded" in kind:
        try:
            return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()}
        except UnicodeDecodeError:
            return raw
    return raw


def _default_error(status: int) -> str:
    return {429: "ratelimited", 401: "invalid_auth"}.get(status, "internal_error")


def _send(
    handler: Any,
    record: Recorded,
    status: int,
    data: bytes,
    kind: str,
    headers: dict[str, str] | None = None,
) -> None:
    record.status, record.ok = status, status == 200
    handler.send_response(status)
    handler.send_header("Content-Type", f"{kind}; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


def _send_json(
    handler: Any,
    record: Recorded,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    _send(handler, record, status, json.dumps(body).encode(), "application/json", headers)
    record.ok = status == 200 and bool(body.get("ok"))


def _blocks_problem(blocks: Any) -> str | None:
    """Slack's own limits, checked as Slack would reject a message (None when fine)."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > 50:
        return "more than 50 blocks"
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > 150:
            return f"blocks[{i}]: header longer than 150"
        if kind == "section":
            if block.get("text") and len(block["text"]["text"]) > 3000:
                return f"blocks[{i}]: section text longer than 3000"
            fields = block.get("fields") or []
            if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
                return f"blocks[{i}]: fields over the limit"
        if kind == "context" and len(block.get("elements") or []) > 10:
            return f"blocks[{i}]: more than 10 context elements"
    return None
