"""The delivery ledger in `ops.slack_messages` and `ops.slack_files`: what reached Slack, once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb

from tasks.delivery.slack.target import SlackTarget


def row(con: duckdb.DuckDBPyConnection, day: date, key: str) -> dict[str, Any] | None:
    """The ledger row of (day, target): status, message channel, ts and chart; None if new."""
    cursor = con.execute(
        "select status, message_channel, ts, chart_file_id, thread_ts from ops.slack_messages "
        "where report_date = ? and channel = ?",
        [day, key],
    )
    found = cursor.fetchone()
    if found is None:
        return None
    names = ("status", "message_channel", "ts", "chart_file_id", "thread_ts")
    return dict(zip(names, found, strict=True))


def attempt(
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


def posted(
    con: duckdb.DuckDBPyConnection,
    day: date,
    key: str,
    message_channel: str,
    ts: str,
    sha: str,
    chart_file_id: str | None,
) -> None:
    """Record the posted message at once: from here on a re-run updates, never re-posts.

    The row stays `pending` until the thread reply is in Slack too (`thread_posted`).
    """
    con.execute(
        "update ops.slack_messages set message_channel = ?, ts = ?, thread_ts = null, "
        "chart_file_id = ?, payload_sha256 = ?, posted_at = ? "
        "where report_date = ? and channel = ?",
        [message_channel, ts, chart_file_id, sha, datetime.now(UTC), day, key],
    )


def thread_posted(con: duckdb.DuckDBPyConnection, day: date, key: str, thread_ts: str) -> None:
    """Record the lists' reply at once: a re-run edits it, never replies again."""
    con.execute(
        "update ops.slack_messages set thread_ts = ? where report_date = ? and channel = ?",
        [thread_ts, day, key],
    )


def delivered(
    con: duckdb.DuckDBPyConnection, day: date, key: str, sha: str, *, posted: bool
) -> None:
    """Record a delivered digest: posted (webhook) or updated (bot re-run); no error left."""
    column = "posted_at" if posted else "updated_at"
    status = "posted" if posted else "updated"
    con.execute(
        f"update ops.slack_messages set status = ?, payload_sha256 = ?, {column} = ?, "
        "last_error = null where report_date = ? and channel = ?",
        [status, sha, datetime.now(UTC), day, key],
    )


def error(con: duckdb.DuckDBPyConnection, day: date, key: str, message: str) -> None:
    """Record the last error (already scrubbed) of a day's delivery."""
    con.execute(
        "update ops.slack_messages set last_error = ? where report_date = ? and channel = ?",
        [message, day, key],
    )


def chart_shared(con: duckdb.DuckDBPyConnection, day: date, key: str, file_id: str) -> None:
    """Record the chart shared in the day's thread, so no later run shares it again."""
    con.execute(
        "update ops.slack_messages set chart_file_id = ? where report_date = ? and channel = ?",
        [file_id, day, key],
    )


def pending_payloads(con: duckdb.DuckDBPyConnection, key: str) -> list[tuple[date, str]]:
    """The (day, payload JSON) of every digest still pending for a target, oldest first."""
    return con.execute(
        "select report_date, payload from ops.slack_messages "
        "where channel = ? and status = 'pending' order by report_date",
        [key],
    ).fetchall()


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


def file_was_shared(con: duckdb.DuckDBPyConnection, name: str, key: str) -> bool:
    """Whether a file of this name was already shared to this target."""
    found = con.execute(
        "select file_id from ops.slack_files where name = ? and channel = ?", [name, key]
    ).fetchone()
    return found is not None


def file_shared(con: duckdb.DuckDBPyConnection, name: str, key: str, file_id: str) -> None:
    """Record a file shared to this target, so it is never shared twice."""
    con.execute(
        "insert into ops.slack_files values (?, ?, ?, ?)",
        [name, key, file_id, datetime.now(UTC)],
    )
