"""Delivering the digest to Slack exactly once per (day, channel), through `slack_sdk`.

A bot token + channel id posts one top-level message with `chat.postMessage`; a
re-run updates that same message (`chat.update`, with the channel id Slack
returned and the stored `ts`) and shares the chart once, in the message's thread.
An incoming webhook cannot update, so a re-run of a delivered day sends nothing.
`ops.slack_messages` is the ledger: a row is written before the first request and
stays `pending` until Slack has the message, so a failed delivery is sent by the
next run or `backlog digest --post`, once.

Retries: 429 waits for `Retry-After`; 5xx and connection errors back off; both
stop when the retry budget (a minute by default) would be exceeded. Anything else,
auth errors first of all, fails at once. Failures raise `BacklogError` with one
line that names Slack and the cause. Credentials come from the environment
(`SlackTarget.from_env`), are held as `SecretStr`, and appear in no log, error,
file or repr: the SDK's own logger is silenced because it logs request URLs,
and a webhook URL is itself the secret.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import duckdb
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from tasks.errors import BacklogError
from tasks.redact import redact

log = logging.getLogger(__name__)

# slack_sdk logs request URLs at INFO on every retry (a webhook URL is a secret) and
# request details at DEBUG whenever its logger's own level is unset: keep it quiet.
_SDK_LOGGER = logging.getLogger("tasks.slack.sdk")
_SDK_LOGGER.setLevel(logging.CRITICAL)
_SDK_LOGGER.propagate = False

DEFAULT_API_URL = "https://slack.com/api/"
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
        "org_login_required",
        "two_factor_setup_required",
        "invalid_token",  # incoming webhooks
        "no_service",  # incoming webhooks: the webhook was removed
    }
)
CHART_TITLE = "Inflow vs outflow vs backlog, last 28 days"


@dataclass(frozen=True, repr=False)
class SlackTarget:
    """Where the digest goes: a bot token + channel id, or an incoming webhook.

    The secrets are `SecretStr` and the repr names only the mode, channel and API
    host, so a target that ends up in a log or a Prefect parameter leaks nothing.
    Still, build it inside the task that posts (`from_env`), never pass it around.
    """

    channel: str | None = None
    token: SecretStr | None = field(default=None, compare=False)
    webhook_url: SecretStr | None = field(default=None, compare=False)
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackTarget | None:
        """The target configured by `SLACK_BOT_TOKEN` + `SLACK_CHANNEL`, or `SLACK_WEBHOOK_URL`.

        `SLACK_API_URL` overrides the Web API base URL. None when nothing is configured;
        a half-done configuration is an error, not a silent skip.
        """
        env = os.environ if environ is None else environ
        token = (env.get("SLACK_BOT_TOKEN") or "").strip()
        channel = (env.get("SLACK_CHANNEL") or "").strip()
        webhook = (env.get("SLACK_WEBHOOK_URL") or "").strip()
        api_url = (env.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        if token:
            if not channel:
                raise BacklogError(
                    "Slack: SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not; set SLACK_CHANNEL "
                    "to the channel id (e.g. C0123456789, from the channel's details)."
                )
            if channel.startswith("#") or any(ch.isspace() for ch in channel):
                raise BacklogError(
                    f"Slack: SLACK_CHANNEL must be a channel id such as C0123456789, not "
                    f"{channel[:40]!r}; copy the id from the channel's details in Slack."
                )
            return cls(channel=channel, token=SecretStr(token), api_url=api_url)
        if webhook:
            if not webhook.lower().startswith(("https://", "http://")):
                raise BacklogError("Slack: SLACK_WEBHOOK_URL is not an http(s) URL.")
            return cls(webhook_url=SecretStr(webhook), api_url=api_url)
        if channel:
            raise BacklogError(
                "Slack: SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not; set the bot token "
                "(xoxb-...) or use SLACK_WEBHOOK_URL instead."
            )
        return None

    @property
    def mode(self) -> str:
        """`bot` (can update its message) or `webhook` (post only)."""
        return "bot" if self.token is not None else "webhook"

    @property
    def key(self) -> str:
        """The destination as stored in the ledger: the channel id, or a webhook's hash."""
        if self.token is not None:
            return str(self.channel)
        url = self.webhook_url.get_secret_value() if self.webhook_url else ""
        return "webhook:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]

    @property
    def host(self) -> str:
        """The host that is contacted, for messages (never the path: a webhook's is secret)."""
        url = self.api_url if self.token is not None else self._webhook()
        return urlsplit(url).hostname or "?"

    def _webhook(self) -> str:
        return self.webhook_url.get_secret_value() if self.webhook_url else ""

    def __repr__(self) -> str:
        where = f"channel={self.channel!r}" if self.token is not None else f"key={self.key!r}"
        return f"SlackTarget(mode={self.mode!r}, {where}, host={self.host!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class DeliveryResult:
    """What `deliver` did: `posted`, `updated`, or `skipped` (a webhook's day already sent)."""

    day: date
    channel: str
    action: str
    ts: str | None = None
    message_channel: str | None = None
    chart_file_id: str | None = None
    chart_uploaded: bool = False
    chart_error: str | None = None  # the chart could not be shared; the next run tries again


# --------------------------------------------------------------------------- delivery


def deliver(
    con: duckdb.DuckDBPyConnection,
    day: date,
    payload: dict[str, Any],
    target: SlackTarget,
    chart_png: bytes | None = None,
    *,
    retry_budget_seconds: float = 60.0,
    backoff_seconds: float = 0.5,
    request_timeout_seconds: float = 30.0,
) -> DeliveryResult:
    """Send the day's digest to the target exactly once; a re-run updates it (bot) or skips.

    Args:
        con: the warehouse, holding the ledger `ops.slack_messages`.
        day: the digest's day.
        payload: `{"text", "blocks"}` from `tasks.blocks.build_payload` (already redacted).
        target: from `SlackTarget.from_env()`.
        chart_png: optional chart, shared once in the message's thread (bot mode only).
        retry_budget_seconds: how long 429 waits and 5xx / connection back-offs may take
            in all, before giving up.
        backoff_seconds: the first back-off after a 5xx or connection error (doubles).
        request_timeout_seconds: the longest a single request may take.

    Raises:
        BacklogError: one line naming Slack and what went wrong; the ledger keeps the
            digest pending for the next run. A chart that could not be shared does not
            raise: the message is out, `chart_error` says why, and the next run shares it.
    """
    payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    sha = hashlib.sha256(payload_json.encode("utf-8")).hexdigest()
    row = _ledger_row(con, day, target.key)
    if target.mode == "webhook" and row is not None and row["status"] != "pending":
        log.info("Slack: the digest of %s was already sent to this webhook; not sending again", day)
        return DeliveryResult(day, target.key, "skipped", chart_file_id=row["chart_file_id"])
    _ledger_attempt(con, day, target, payload_json, sha, row)

    budget = _Budget(retry_budget_seconds, backoff_seconds, request_timeout_seconds)
    session = _Session(target, budget)
    try:
        if target.mode == "webhook":
            session.send_webhook(payload)
            _ledger_delivered(con, day, target.key, sha, posted=True)
            if chart_png:
                log.info("Slack: incoming webhooks cannot share files; the chart was not sent")
            return DeliveryResult(day, target.key, "posted")

        action, ts, message_channel = "updated", None, None
        chart_file_id = row["chart_file_id"] if row is not None else None
        if row is not None and row["ts"]:
            ts, message_channel = row["ts"], row["message_channel"]
            if not session.update(message_channel, ts, payload):
                ts = chart_file_id = None  # the message was deleted in Slack: post it again
        if ts is None:
            message_channel, ts = session.post(payload)
            action = "posted"
            _ledger_posted(con, day, target.key, message_channel, ts, sha, chart_file_id)
        else:
            _ledger_delivered(con, day, target.key, sha, posted=False)

    except _Failure as failure:
        message = _scrub(str(failure), target)
        _ledger_error(con, day, target.key, message)
        raise BacklogError(message) from None

    # The digest is in Slack now. The chart is an extra: a failure to share it is
    # reported and recorded, and the next run shares it, but it does not fail the run.
    uploaded, chart_error = False, None
    if chart_png and chart_file_id is None:
        try:
            chart_file_id = session.share_chart(chart_png, message_channel, ts, day)
            uploaded = True
            con.execute(
                "update ops.slack_messages set chart_file_id = ? "
                "where report_date = ? and channel = ?",
                [chart_file_id, day, target.key],
            )
        except _Failure as failure:
            chart_error = _scrub(f"The digest was posted, but the chart was not: {failure}", target)
            _ledger_error(con, day, target.key, chart_error)
            log.warning("%s", chart_error)
    return DeliveryResult(
        day,
        target.key,
        action,
        ts,
        message_channel,
        chart_file_id,
        chart_uploaded=uploaded,
        chart_error=chart_error,
    )


def deliver_pending(
    con: duckdb.DuckDBPyConnection, target: SlackTarget, **options: Any
) -> list[DeliveryResult]:
    """Send every digest the ledger still holds as pending for this target, oldest first.

    The stored payload is sent as it was built; `options` go to `deliver`.
    """
    rows = con.execute(
        "select report_date, payload from ops.slack_messages "
        "where channel = ? and status = 'pending' order by report_date",
        [target.key],
    ).fetchall()
    return [deliver(con, day, json.loads(payload), target, **options) for day, payload in rows]


def share_file(
    con: duckdb.DuckDBPyConnection,
    target: SlackTarget,
    path: Path,
    title: str,
    comment: str,
    *,
    retry_budget_seconds: float = 60.0,
    backoff_seconds: float = 0.5,
) -> str | None:
    """Share a file (the weekly review pack) into the channel once; its Slack file id.

    A file already shared to this channel under the same name is not shared again (None).
    Webhooks cannot carry files: the caller is told with a clear error.
    """
    if target.mode != "bot":
        raise BacklogError(
            "Slack: an incoming webhook cannot share files; set SLACK_BOT_TOKEN and "
            "SLACK_CHANNEL to post the review pack."
        )
    done = con.execute(
        "select file_id from ops.slack_files where name = ? and channel = ?",
        [path.name, target.key],
    ).fetchone()
    if done:
        log.info("Slack: %s was already shared to this channel", path.name)
        return None
    data = path.read_bytes()
    session = _Session(target, _Budget(retry_budget_seconds, backoff_seconds, 30.0))
    try:
        file_id = session.share(
            data, path.name, title, channel_id=target.channel, initial_comment=comment
        )
    except _Failure as failure:
        raise BacklogError(_scrub(str(failure), target)) from None
    con.execute(
        "insert into ops.slack_files values (?, ?, ?, ?)",
        [path.name, target.key, str(file_id), datetime.now(UTC)],
    )
    return str(file_id)


def pending_days(con: duckdb.DuckDBPyConnection, target: SlackTarget) -> list[date]:
    """The days whose digest is still waiting to reach this target."""
    return [
        day
        for (day,) in con.execute(
            "select report_date from ops.slack_messages where channel = ? and status = 'pending' "
            "order by report_date",
            [target.key],
        ).fetchall()
    ]


# --------------------------------------------------------------------------- ledger


def _ledger_row(con: duckdb.DuckDBPyConnection, day: date, key: str) -> dict[str, Any] | None:
    cursor = con.execute(
        "select status, message_channel, ts, chart_file_id from ops.slack_messages "
        "where report_date = ? and channel = ?",
        [day, key],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(("status", "message_channel", "ts", "chart_file_id"), row, strict=True))


def _ledger_attempt(
    con: duckdb.DuckDBPyConnection,
    day: date,
    target: SlackTarget,
    payload_json: str,
    sha: str,
    row: dict[str, Any] | None,
) -> None:
    """Record the attempt before any request, so a crash leaves the digest pending."""
    now = datetime.now(UTC)
    if row is None:
        con.execute(
            "insert into ops.slack_messages (report_date, channel, mode, status, payload_sha256, "
            "payload, attempts, first_attempt_at) values (?, ?, ?, 'pending', ?, ?, 1, ?)",
            [day, target.key, target.mode, sha, payload_json, now],
        )
    elif row["status"] == "pending":
        con.execute(
            "update ops.slack_messages set attempts = attempts + 1, payload_sha256 = ?, "
            "payload = ? where report_date = ? and channel = ?",
            [sha, payload_json, day, target.key],
        )
    else:
        con.execute(
            "update ops.slack_messages set attempts = attempts + 1 "
            "where report_date = ? and channel = ?",
            [day, target.key],
        )


def _ledger_posted(
    con: duckdb.DuckDBPyConnection,
    day: date,
    key: str,
    message_channel: str,
    ts: str,
    sha: str,
    chart_file_id: str | None,
) -> None:
    """Record the posted message at once: from here on a re-run updates, never re-posts."""
    con.execute(
        "update ops.slack_messages set status = 'posted', message_channel = ?, ts = ?, "
        "chart_file_id = ?, payload_sha256 = ?, posted_at = ?, last_error = null "
        "where report_date = ? and channel = ?",
        [message_channel, ts, chart_file_id, sha, datetime.now(UTC), day, key],
    )


def _ledger_delivered(
    con: duckdb.DuckDBPyConnection, day: date, key: str, sha: str, *, posted: bool
) -> None:
    column = "posted_at" if posted else "updated_at"
    status = "posted" if posted else "updated"
    con.execute(
        f"update ops.slack_messages set status = ?, payload_sha256 = ?, {column} = ?, "
        "last_error = null where report_date = ? and channel = ?",
        [status, sha, datetime.now(UTC), day, key],
    )


def _ledger_error(con: duckdb.DuckDBPyConnection, day: date, key: str, message: str) -> None:
    con.execute(
        "update ops.slack_messages set last_error = ? where report_date = ? and channel = ?",
        [message, day, key],
    )


# --------------------------------------------------------------------------- requests


class _Failure(Exception):
    """A delivery failure, already phrased as the one line the user sees."""


class _Budget:
    """The time all retries of one delivery may take, shared by every request."""

    def __init__(self, seconds: float, backoff: float, request_timeout: float) -> None:
        self.seconds = seconds
        self.backoff = backoff
        self.request_timeout = request_timeout
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.min_attempt = min(1.0, seconds / 10)
        self.clients: list[Any] = []
        self.retries = 0
        self.last_retry_after: float | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def timeout(self) -> float:
        """A request timeout that does not run past the deadline (with a floor of 1 s)."""
        return max(1.0, min(self.request_timeout, self.remaining()))

    def arm(self) -> None:
        for client in self.clients:
            client.timeout = self.timeout()

    def can_wait(self, seconds: float) -> bool:
        return self.remaining() - seconds >= self.min_attempt

    def backoff_delay(self, attempt: int) -> float:
        return self.backoff * (2**attempt) * random.uniform(0.75, 1.0)

    def wait(self, seconds: float, why: str) -> None:
        log.warning("Slack: %s; retrying in %.1f s", why, seconds)
        time.sleep(max(0.0, seconds))
        self.retries += 1
        self.arm()


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def _retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a `Retry-After` header (seconds or an HTTP date); 1 s when absent."""
    value = _header(headers, "retry-after")
    if value is None:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return 1.0


class _RateLimitHandler(RateLimitErrorRetryHandler):
    """429: wait as long as Slack asks, while that fits in the budget."""

    def __init__(self, budget: _Budget) -> None:
        super().__init__(max_retry_count=1000)
        self.budget = budget

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        self.budget.last_retry_after = _retry_after(response.headers)
        return self.budget.can_wait(self.budget.last_retry_after)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = _retry_after(response.headers if response is not None else {})
        self.budget.wait(wait + random.uniform(0, 0.1), f"rate limited (Retry-After {wait:g} s)")
        state.increment_current_attempt()


class _BackoffHandler(RetryHandler):
    """5xx responses and connection errors: exponential back-off within the budget."""

    def __init__(self, budget: _Budget) -> None:
        super().__init__(max_retry_count=1000)
        self.budget = budget
        self.delay = 0.0

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None:
            if not 500 <= response.status_code < 600 or _auth_error_in(response):
                return False
        elif not isinstance(error, OSError | http.client.HTTPException):
            return False
        self.delay = self.budget.backoff_delay(state.current_attempt)
        return self.budget.can_wait(self.delay)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        why = f"HTTP {response.status_code}" if response is not None else _reason(error)
        self.budget.wait(self.delay, why)
        state.increment_current_attempt()


def _auth_error_in(response: HttpResponse) -> bool:
    body = response.body
    if body is None and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            return False
    return isinstance(body, dict) and body.get("error") in AUTH_ERRORS


class _Session:
    """One delivery's clients, budget and the method being called (for messages)."""

    def __init__(self, target: SlackTarget, budget: _Budget) -> None:
        self.target = target
        self.budget = budget
        self.method = "chat.postMessage"
        handlers: list[RetryHandler] = [_RateLimitHandler(budget), _BackoffHandler(budget)]
        if target.mode == "bot":
            assert target.token is not None
            self.client: Any = WebClient(
                token=target.token.get_secret_value(),
                base_url=target.api_url,
                timeout=int(budget.timeout()),
                logger=_SDK_LOGGER,
                retry_handlers=handlers,
            )
        else:
            self.client = WebhookClient(
                url=target._webhook(),
                timeout=int(budget.timeout()),
                logger=_SDK_LOGGER,
                retry_handlers=handlers,
            )
        budget.clients.append(self.client)

    def _call(self, method: str, **kwargs: Any) -> Any:
        """Call a Web API method through slack_sdk; failures become one-line `_Failure`s."""
        self.method = method
        self.budget.arm()
        sdk_method = getattr(self.client, method.replace(".", "_"))
        try:
            return sdk_method(**kwargs)
        except SlackApiError as exc:
            raise _Failure(self._api_error(exc)) from None
        except (SlackClientError, OSError, http.client.HTTPException, ValueError) as exc:
            raise _Failure(self._connection_error(exc)) from None

    def post(self, payload: dict[str, Any]) -> tuple[str, str]:
        """Post the top-level message; the channel id Slack answered with, and the ts."""
        response = self._call(
            "chat.postMessage",
            channel=self.target.channel,
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
        channel = response.get("channel") or self.target.channel
        ts = response.get("ts")
        if not channel or not ts:
            raise _Failure("Slack: chat.postMessage answered without a channel or ts.")
        return str(channel), str(ts)

    def update(self, channel: str, ts: str, payload: dict[str, Any]) -> bool:
        """Update the posted message; False when Slack no longer has it."""
        try:
            self._call(
                "chat.update",
                channel=channel,
                ts=ts,
                text=payload["text"],
                blocks=payload["blocks"],
            )
        except _Failure as failure:
            if "message_not_found" in str(failure):
                log.warning("Slack: the digest message %s is gone; posting it again", ts)
                return False
            raise
        return True

    def share_chart(self, png: bytes, channel: str, thread_ts: str, day: date) -> str:
        """Upload the chart and share it in the message's thread."""
        filename = f"backlog-flow-{day.isoformat()}.png"
        return self.share(png, filename, CHART_TITLE, channel_id=channel, thread_ts=thread_ts)

    def share(self, data: bytes, filename: str, title: str, **where: Any) -> str:
        """The files upload v2 flow: get an upload URL, upload, complete into `where`."""
        ticket = self._call(
            "files.getUploadURLExternal", filename=filename, length=len(data), alt_txt=title
        )
        upload_url, file_id = ticket.get("upload_url"), ticket.get("file_id")
        if not upload_url or not file_id:
            raise _Failure("Slack: files.getUploadURLExternal answered without an upload URL.")
        self._upload(str(upload_url), data)
        self._call("files.completeUploadExternal", files=[{"id": file_id, "title": title}], **where)
        return str(file_id)

    def _upload(self, url: str, data: bytes) -> None:
        """POST the bytes to the upload URL as slack_sdk does, with the same retry rules."""
        self.method = "the file upload"
        if urlsplit(url).scheme not in ("http", "https"):
            raise _Failure("Slack: files.getUploadURLExternal gave an upload URL that is not http.")
        attempt = 0
        while True:
            try:
                with urlopen(
                    Request(url, data=data, method="POST", headers={}),
                    timeout=self.budget.timeout(),
                ) as response:
                    response.read()
                    return
            except HTTPError as exc:
                status, headers = exc.code, dict(exc.headers.items())
                exc.close()
                if status == 429:
                    delay, why = _retry_after(headers), "upload rate limited"
                elif 500 <= status < 600:
                    delay, why = self.budget.backoff_delay(attempt), f"upload HTTP {status}"
                else:
                    raise _Failure(f"Slack refused the chart upload (HTTP {status}).") from None
                if not self.budget.can_wait(delay):
                    raise _Failure(self._gave_up(f"HTTP {status}")) from None
            except (OSError, http.client.HTTPException) as exc:
                delay, why = self.budget.backoff_delay(attempt), _reason(exc)
                if not self.budget.can_wait(delay):
                    raise _Failure(self._connection_error(exc)) from None
            self.budget.wait(delay, why)
            attempt += 1

    def send_webhook(self, payload: dict[str, Any]) -> None:
        """Post through the incoming webhook; a 429 or an error comes back as a response."""
        self.method = "the incoming webhook"
        self.budget.arm()
        try:
            response = self.client.send(
                text=payload["text"],
                blocks=payload["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, OSError, http.client.HTTPException, ValueError) as exc:
            raise _Failure(self._connection_error(exc)) from None
        if response.status_code == 200:
            return
        body = _short(response.body)
        if response.status_code == 429:
            raise _Failure(self._rate_limited())
        if response.status_code >= 500:
            raise _Failure(self._gave_up(f"HTTP {response.status_code}"))
        if body in AUTH_ERRORS or response.status_code in (401, 403):
            raise _Failure(
                f"Slack rejected the incoming webhook ({body or response.status_code}); check "
                "SLACK_WEBHOOK_URL (not retried)."
            )
        raise _Failure(
            f"Slack refused the incoming webhook message: {body or 'no reason given'} "
            f"(HTTP {response.status_code})."
        )

    # ---- messages

    def _api_error(self, exc: SlackApiError) -> str:
        response = exc.response
        status = getattr(response, "status_code", None)
        data = getattr(response, "data", None)
        error = _short(data.get("error") if isinstance(data, dict) else None)
        if error in AUTH_ERRORS:
            return (
                f"Slack rejected the bot token ({error}) on {self.method}; check SLACK_BOT_TOKEN "
                "(not retried)."
            )
        if status == 429:
            return self._rate_limited()
        if isinstance(status, int) and status >= 500:
            return self._gave_up(f"HTTP {status}")
        hint = {
            "channel_not_found": "; check SLACK_CHANNEL is a channel id the bot can see",
            "not_in_channel": "; invite the bot to the channel (/invite @your-bot)",
            "is_archived": "; the channel is archived",
            "missing_scope": "; add the scope "
            + (_short(data.get("needed")) if isinstance(data, dict) else "")
            + " to the Slack app and reinstall it",
        }.get(error or "", "")
        return f"Slack refused {self.method}: {error or 'no reason given'} (HTTP {status}){hint}."

    def _rate_limited(self) -> str:
        after = self.budget.last_retry_after
        asked = f", asked to wait {after:g} s" if after is not None else ""
        return (
            f"Slack rate-limited {self.method}{asked}, beyond the {self.budget.seconds:g} s retry "
            "budget; the digest is kept and the next run sends it."
        )

    def _gave_up(self, what: str) -> str:
        return (
            f"Slack answered {what} on {self.method}; gave up after {self.budget.retries + 1} "
            f"attempts in {self.budget.elapsed():.0f} s; the digest is kept and the next run "
            "sends it."
        )

    def _connection_error(self, exc: BaseException) -> str:
        return (
            f"Could not reach Slack at {self.target.host} for {self.method} ({_reason(exc)}) "
            f"after {self.budget.retries + 1} attempts in {self.budget.elapsed():.0f} s; the "
            "digest is kept and the next run sends it."
        )


def _reason(exc: BaseException | None) -> str:
    """A short, secret-free reason for a low-level error."""
    if exc is None:
        return "no response"
    if isinstance(exc, URLError) and not isinstance(exc, HTTPError):
        inner = exc.reason
        return _reason(inner) if isinstance(inner, BaseException) else _short(str(inner))
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed by the server"
    if isinstance(exc, OSError) and exc.strerror:
        return _short(exc.strerror)
    return type(exc).__name__


def _short(value: Any, limit: int = 80) -> str:
    """One line of at most `limit` characters of a server-provided value."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrub(message: str, target: SlackTarget) -> str:
    """The message without any credential (belt and braces: none should be there)."""
    for secret in (target.token, target.webhook_url):
        if secret is not None and secret.get_secret_value():
            message = message.replace(secret.get_secret_value(), "[secret]")
    return (redact(message) or "").splitlines()[0] if message else message
