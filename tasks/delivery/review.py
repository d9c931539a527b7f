"""Deliver a weekly review pack: its HTML shared once in Slack, when a bot is configured."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from tasks.delivery import slack


def share_review(
    con: duckdb.DuckDBPyConnection,
    week: str,
    html: Path,
    logger: logging.Logger | logging.LoggerAdapter,
) -> str:
    """Share the pack's HTML (bot token and channel only); what happened.

    One of "not configured", "shared" or "already shared" (a re-run shares nothing again).
    """
    target = slack.SlackTarget.from_env()
    if target is None:
        logger.info("Slack is not configured: the review pack was not posted.")
        return "not configured"
    file_id = slack.share_file(
        con, target, html, f"Weekly support review {week}", f"The weekly support review, {week}."
    )
    outcome = "shared" if file_id else "already shared"
    logger.info("Slack: review %s %s", week, outcome)
    return outcome
