"""Deliver a digest: its Slack message from the settings, posted (or updated) once, with any
digest still pending."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import duckdb

from tasks.config import Settings
from tasks.delivery import slack
from tasks.render import blocks
from tasks.reports import series


def slack_payload(result: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The Block Kit message of a digest, with the configured links and list lengths."""
    return blocks.build_payload(
        result,
        ticket_url_template=settings.slack.ticket_url_template,
        max_list_items=settings.slack.max_list_items,
    )


def deliver(
    con: duckdb.DuckDBPyConnection,
    day: date,
    payload: dict[str, Any],
    settings: Settings,
    logger: logging.Logger | logging.LoggerAdapter,
) -> str:
    """Post (or update) day D's digest in Slack, then any digest still pending; what happened.

    The credentials are read from the environment here, never passed as parameters.
    """
    target = slack.SlackTarget.from_env()
    if target is None:
        message = (
            "Slack is not configured (SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL): "
            "nothing posted; the digest is in the output folder."
        )
        logger.info(message)
        return message
    chart = series.flow_chart_png(con, day, days=28) if settings.slack.chart else None
    lists_path = str(settings.out_dir / f"digest-{day.isoformat()}.md")
    result = slack.deliver(con, day, payload, target, chart, lists_path=lists_path)
    message = f"Slack: digest of {day} {result.action}"
    if result.chart_error:
        message += f" ({result.chart_error})"
    for late in slack.deliver_pending(con, target):
        message += f"; digest of {late.day} {late.action} (was pending)"
    logger.info(message)
    return message
