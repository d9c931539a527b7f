"""The Prefect task wrappers around the plain functions in `tasks/`.

The logic lives in `tasks/` with no Prefect import; here each step becomes a
task so the flow run shows it. Inputs hold a DuckDB connection, so nothing is
cached. Slack retries its own requests (tasks/delivery/slack.py); no task retries, so a
failure is reported once and the digest stays pending for the next run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks import ingest, kb, models, quality
from tasks.config import Settings
from tasks.delivery import slack
from tasks.errors import IncompleteDataError
from tasks.render import blocks, charts
from tasks.reports import digest


@task(name="ingest-day", cache_policy=NO_CACHE)
def ingest_day(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    day: ingest.ExportDay,
    settings: Settings,
    runner: quality.SuiteRunner,
) -> ingest.DayLoad | None:
    """Load one day's export folder; log what it did.

    A fatal file (unreadable, a required column missing, ...) rolls the day back and is
    recorded in `ops.load_failures`; the run goes on, so the digest says plainly that the
    day is incomplete and why, and the flow ends failed after writing it. `runner` is
    the flow run's GX set-up, shared by its loads.
    """
    logger = get_run_logger()
    try:
        result = ingest.load_day(con, day, exports, settings.quality, settings.extensions, runner)
    except ingest.ExportFileError as error:
        logger.error("%s", error)
        return None
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


def unloaded_days(
    con: duckdb.DuckDBPyConnection, exports: Path, day: date, source: str
) -> list[ingest.ExportDay]:
    """Export days before `day` that were never loaded (nor failed), oldest first.

    A corrected re-export of a day already loaded is not picked up here: run that day
    again, or `backlog backfill`, to replace it.
    """
    known = {
        row[0]
        for row in con.execute(
            "select export_date from ops.loads union select export_date from ops.load_failures"
        ).fetchall()
    }
    if not known:
        return []  # a first run starts at its day; `backlog backfill` loads history
    first = min(known)
    return [
        candidate
        for candidate in ingest.discover_exports(exports, first, day, source)
        if candidate.export_date < day and candidate.export_date not in known
    ]


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(
    con: duckdb.DuckDBPyConnection, settings: Settings, full_refresh: bool = False
) -> models.BuildPlan:
    """Bring staging, intermediate and marts (shipped and extension) up to date with what is
    loaded: incrementally when it can, in full when it must (or is asked to)."""
    plan = models.build_models(
        con,
        ext=settings.extensions,
        lookback_days=settings.models.lookback_days,
        full=full_refresh,
    )
    kind = "full" if plan.full else "incremental"
    get_run_logger().info("models: %s build (%s)", kind, plan.reason)
    return plan


@task(name="refresh-kb-candidates", cache_policy=NO_CACHE)
def refresh_kb(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> int:
    """Cluster the recently solved tickets into knowledge-base candidates as of `day`."""
    candidates = kb.refresh_candidates(con, day, settings)
    get_run_logger().info("%s knowledge-base candidates as of %s", len(candidates), day)
    return len(candidates)


@task(name="build-digest", cache_policy=NO_CACHE)
def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of one day, from the marts."""
    return digest.build_digest(con, day, settings)


@task(name="write-digest", cache_policy=NO_CACHE)
def write_digest(
    con: duckdb.DuckDBPyConnection, result: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """Write the digest, KB drafts, Data Docs and the Slack message preview; the payload."""
    day = date.fromisoformat(result["date"])
    paths = list(digest.write_digest(result, settings.out_dir).values())
    paths += kb.write_drafts(con, day, settings.out_dir)
    paths.append(quality.write_data_docs(con, settings.out_dir, [day], settings.extensions))
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


@task(name="check-data-quality", cache_policy=NO_CACHE)
def fail_on_bad_data(result: dict[str, Any]) -> None:
    """End the flow run failed when day D's data failed (after the digest says so)."""
    reason = quality.failure_reason(result["data_quality"])  # the digest computed it
    if reason:
        raise IncompleteDataError(reason, result)


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
