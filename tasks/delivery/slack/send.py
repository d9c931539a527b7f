"""Delivery exactly once per (day, channel): the digest, the pending days, the review pack file."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tasks.delivery.slack import ledger
from tasks.delivery.slack.reasons import Failure, scrub
from tasks.delivery.slack.retry import Budget
from tasks.delivery.slack.session import Session
from tasks.delivery.slack.target import SlackTarget
from tasks.errors import BacklogError
from tasks.render.blocks import webhook_payload

log = logging.getLogger(__name__)


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
    lists_path: str | None = None,
) -> DeliveryResult:
    """Send the day's digest to the target exactly once; a re-run updates it (bot) or skips.

    A bot token + channel id posts one top-level message with `chat.postMessage`; a
    re-run updates that same message (`chat.update`, with the channel id Slack
    returned and the stored `ts`) and shares the chart once, in the message's thread.
    The lists go in one reply in the message's thread (`payload["thread"]`), posted once
    and edited by a re-run like the message; the day stays `pending` until both are in
    Slack. An incoming webhook cannot update or thread: it gets the short message, which
    says where the lists are (`lists_path`), and a re-run of a delivered day sends nothing.
    `ops.slack_messages` is the ledger: a row is written before the first request and
    stays `pending` until Slack has the message, so a failed delivery is sent by the
    next run or `backlog digest --post`, once. Failures raise `BacklogError` with one
    line that names Slack and the cause, and no credential.

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
        lists_path: where a webhook's message says the lists are (the digest's Markdown).

    Raises:
        BacklogError: one line naming Slack and what went wrong; the ledger keeps the
            digest pending for the next run. A chart that could not be shared does not
            raise: the message is out, `chart_error` says why, and the next run shares it.
    """
    if target.mode == "webhook" and "thread" in payload:
        payload = webhook_payload(payload, lists_path or f"digest-{day.isoformat()}.md")
    payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    sha = hashlib.sha256(payload_json.encode("utf-8")).hexdigest()
    row = ledger.row(con, day, target.key)
    if target.mode == "webhook" and row is not None and row["status"] != "pending":
        log.info("Slack: the digest of %s was already sent to this webhook; not sending again", day)
        return DeliveryResult(day, target.key, "skipped", chart_file_id=row["chart_file_id"])
    ledger.attempt(con, day, target, payload_json, sha, row)

    budget = Budget(retry_budget_seconds, backoff_seconds, request_timeout_seconds)
    session = Session(target, budget)
    try:
        if target.mode == "webhook":
            session.send_webhook(payload)
            ledger.delivered(con, day, target.key, sha, posted=True)
            if chart_png:
                log.info("Slack: incoming webhooks cannot share files; the chart was not sent")
            return DeliveryResult(day, target.key, "posted")

        action, ts, message_channel, thread_ts = "updated", None, None, None
        chart_file_id = row["chart_file_id"] if row is not None else None
        if row is not None and row["ts"]:
            ts, message_channel, thread_ts = row["ts"], row["message_channel"], row["thread_ts"]
            if not session.update(message_channel, ts, payload):
                # the message was deleted in Slack: post it again, with its thread
                ts = chart_file_id = thread_ts = None
        if ts is None:
            message_channel, ts = session.post(payload)
            action = "posted"
            ledger.posted(con, day, target.key, message_channel, ts, sha, chart_file_id)
        thread = payload.get("thread")
        if thread and not (thread_ts and session.update(message_channel, thread_ts, thread)):
            thread_ts = session.reply(message_channel, ts, thread)
            ledger.thread_posted(con, day, target.key, thread_ts)
        ledger.delivered(con, day, target.key, sha, posted=action == "posted")

    except Failure as failure:
        message = scrub(str(failure), target)
        ledger.error(con, day, target.key, message)
        raise BacklogError(message) from None

    # The digest is in Slack now. The chart is an extra: a failure to share it is
    # reported and recorded, and the next run shares it, but it does not fail the run.
    uploaded, chart_error = False, None
    if chart_png and chart_file_id is None:
        try:
            chart_file_id = session.share_chart(chart_png, message_channel, ts, day)
            uploaded = True
            ledger.chart_shared(con, day, target.key, chart_file_id)
        except Failure as failure:
            chart_error = scrub(f"The digest was posted, but the chart was not: {failure}", target)
            ledger.error(con, day, target.key, chart_error)
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
    rows = ledger.pending_payloads(con, target.key)
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
    if ledger.file_was_shared(con, path.name, target.key):
        log.info("Slack: %s was already shared to this channel", path.name)
        return None
    data = path.read_bytes()
    session = Session(target, Budget(retry_budget_seconds, backoff_seconds, 30.0))
    try:
        file_id = session.share(
            data, path.name, title, channel_id=target.channel, initial_comment=comment
        )
    except Failure as failure:
        raise BacklogError(scrub(str(failure), target)) from None
    ledger.file_shared(con, path.name, target.key, str(file_id))
    return str(file_id)
