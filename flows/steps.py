"""The Prefect task wrappers around the plain functions in `tasks/`.

The logic lives in `tasks/` with no Prefect import; here each step becomes a
task so the flow run shows it. Inputs hold a DuckDB connection, so nothing is
cached. Slack retries its own requests (tasks/slack.py); no task retries, so a
failure is reported once and the digest stays pending for the next run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks import blocks, charts, digest, ingest, models, slack
from tasks.config import Settings


@task(name="ingest-day", cache_policy=NO_CACHE)
def ingest_day(
    con: duckdb.DuckDBPyConnection, exports: Path, day: ingest.ExportDay
) -> ingest.DayLoad:
    """Load one day's export folder; log what it did."""
    result = ingest.load_day(con, day, exports)
    logger = get_run_logger()
    if result.skipped:
        logger.info("%s: already loaded, unchanged", day.export_date)
    for file in result.files:
        logger.info(
            "%s: %s rows read, %s loaded, %s quarantined",
            file.source_file,
            file.rows_read,
            file.rows_loaded,
            file.rows_quarantined,
        )
    return result


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild staging, intermediate and marts from what is loaded."""
    return models.build_models(con)


@task(name="build-digest", cache_policy=NO_CACHE)
def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of one day, from the marts."""
    return digest.build_digest(con, day, settings)


@task(name="write-digest", cache_policy=NO_CACHE)
def write_digest(result: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the digest files and the Slack message preview; the Slack payload."""
    paths = list(digest.write_digest(result, settings.out_dir).values())
    payload = slack_payload(result, settings)
    paths += blocks.write_payload(payload, settings.out_dir, result["date"])
    get_run_logger().info("digest written to %s", ", ".join(str(p) for p in paths))
    return payload


@task(name="post-digest", cache_policy=NO_CACHE)
def post_digest(
    con: duckdb.DuckDBPyConnection, day: date, payload: dict[str, Any], settings: Settings
) -> str:
    """Post (or update) the day's digest in Slack, then any digest still pending."""
    return deliver(con, day, payload, settings, get_run_logger())


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
    logger: Any,
) -> str:
    """Slack delivery shared by the flow and `backlog digest --post`; what happened.

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
    chart = charts.flow_chart_png(con, day, days=28) if settings.slack.chart else None
    result = slack.deliver(con, day, payload, target, chart)
    message = f"Slack: digest of {day} {result.action}"
    if result.chart_error:
        message += f" ({result.chart_error})"
    for late in slack.deliver_pending(con, target):
        message += f"; digest of {late.day} {late.action} (was pending)"
    logger.info(message)
    return message
