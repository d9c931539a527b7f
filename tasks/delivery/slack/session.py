"""One delivery's session through slack_sdk: post, update, upload, webhook; one-line failures."""

from __future__ import annotations

import http.client
import logging
from datetime import date
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from tasks.delivery.slack.reasons import AUTH_ERRORS, Failure, reason, short
from tasks.delivery.slack.retry import BackoffHandler, Budget, RateLimitHandler, retry_after
from tasks.delivery.slack.target import SlackTarget

log = logging.getLogger(__name__)

CHART_TITLE = "Inflow vs outflow vs backlog, last 28 days"


def _silent_logger() -> logging.Logger:
    """A logger for slack_sdk that drops everything.

    slack_sdk logs request URLs at INFO on every retry (a webhook URL is a secret) and
    request details at DEBUG whenever its logger's own level is unset. This logger is
    made per session and registered nowhere, so no global logging state changes.
    """
    logger = logging.Logger("tasks.slack.sdk", logging.CRITICAL)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    return logger


class Session:
    """One delivery's clients, budget and the method being called (for messages)."""

    def __init__(self, target: SlackTarget, budget: Budget) -> None:
        self.target = target
        self.budget = budget
        self.method = "chat.postMessage"
        handlers: list[RetryHandler] = [RateLimitHandler(budget), BackoffHandler(budget)]
        sdk_logger = _silent_logger()
        if target.mode == "bot":
            assert target.token is not None
            self.client: Any = WebClient(
                token=target.token.get_secret_value(),
                base_url=target.api_url,
                timeout=int(budget.timeout()),
                logger=sdk_logger,
                retry_handlers=handlers,
            )
        else:
            self.client = WebhookClient(
                url=target.webhook(),
                timeout=int(budget.timeout()),
                logger=sdk_logger,
                retry_handlers=handlers,
            )
        budget.clients.append(self.client)

    def _call(self, method: str, **kwargs: Any) -> Any:
        """Call a Web API method through slack_sdk; failures become one-line `Failure`s."""
        self.method = method
        self.budget.arm()
        sdk_method = getattr(self.client, method.replace(".", "_"))
        try:
            return sdk_method(**kwargs)
        except SlackApiError as exc:
            raise Failure(self._api_error(exc)) from None
        except (SlackClientError, OSError, http.client.HTTPException, ValueError) as exc:
            raise Failure(self._connection_error(exc)) from None

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
            raise Failure("Slack: chat.postMessage answered without a channel or ts.")
        return str(channel), str(ts)

    def reply(self, channel: str, thread_ts: str, payload: dict[str, Any]) -> str:
        """Post a reply in a message's thread; the reply's ts."""
        response = self._call(
            "chat.postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = response.get("ts")
        if not ts:
            raise Failure("Slack: chat.postMessage answered the thread reply without a ts.")
        return str(ts)

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
        except Failure as failure:
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
            raise Failure("Slack: files.getUploadURLExternal answered without an upload URL.")
        self._upload(str(upload_url), data)
        self._call("files.completeUploadExternal", files=[{"id": file_id, "title": title}], **where)
        return str(file_id)

    def _upload(self, url: str, data: bytes) -> None:
        """POST the bytes to the upload URL as slack_sdk does, with the same retry rules."""
        self.method = "the file upload"
        if urlsplit(url).scheme not in ("http", "https"):
            raise Failure("Slack: files.getUploadURLExternal gave an upload URL that is not http.")
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
                    delay, why = retry_after(headers), "upload rate limited"
                elif 500 <= status < 600:
                    delay, why = self.budget.backoff_delay(attempt), f"upload HTTP {status}"
                else:
                    raise Failure(f"Slack refused the chart upload (HTTP {status}).") from None
                if not self.budget.can_wait(delay):
                    raise Failure(self._gave_up(f"HTTP {status}")) from None
            except (OSError, http.client.HTTPException) as exc:
                delay, why = self.budget.backoff_delay(attempt), reason(exc)
                if not self.budget.can_wait(delay):
                    raise Failure(self._connection_error(exc)) from None
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
            raise Failure(self._connection_error(exc)) from None
        if response.status_code == 200:
            return
        body = short(response.body)
        if response.status_code == 429:
            raise Failure(self._rate_limited())
        if response.status_code >= 500:
            raise Failure(self._gave_up(f"HTTP {response.status_code}"))
        if body in AUTH_ERRORS or response.status_code in (401, 403):
            raise Failure(
                f"Slack rejected the incoming webhook ({body or response.status_code}); check "
                "SLACK_WEBHOOK_URL (not retried)."
            )
        raise Failure(
            f"Slack refused the incoming webhook message: {body or 'no reason given'} "
            f"(HTTP {response.status_code})."
        )

    # ---- messages

    def _api_error(self, exc: SlackApiError) -> str:
        response = exc.response
        status = getattr(response, "status_code", None)
        data = getattr(response, "data", None)
        error = short(data.get("error") if isinstance(data, dict) else None)
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
            + (short(data.get("needed")) if isinstance(data, dict) else "")
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
            f"Could not reach Slack at {self.target.host} for {self.method} ({reason(exc)}) "
            f"after {self.budget.retries + 1} attempts in {self.budget.elapsed():.0f} s; the "
            "digest is kept and the next run sends it."
        )
