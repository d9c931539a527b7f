"""The Prefect tasks of every flow: one thin wrapper per step around a plain function.

The logic lives in `tasks/` with no Prefect import; here each step becomes a task so
the flow run shows it, and logs what it did. Inputs hold a DuckDB connection, so nothing
is cached. Slack retries its own requests (tasks/delivery/slack.py); no task retries, so
a failure is reported once and the digest stays pending for the next run.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks import ingest, kb, models, pull, quality, warehouse
from tasks.config import Settings
from tasks.delivery import digest as digest_delivery
from tasks.delivery import review as review_delivery
from tasks.errors import WARNINGS_LOGGER, IncompleteDataError
from tasks.render import artifacts, blocks
from tasks.reports import digest, review


@task(name="pull-days", cache_policy=NO_CACHE)
def pull_days(exports: Path, day: date, source: str, settings: Settings) -> list[str]:
    """Pull every day of `source` not pulled yet up to `day` into `exports`.

    Credentials come from the worker's environment, else from Prefect Secret blocks of
    the same names (lower case, `-` for `_`); never from parameters, which Prefect stores.
    """
    logger = get_run_logger()
    environ = pull_environment(source)
    with warehouse.connect(settings) as con:
        days = pull.days_to_pull(con, source, day)
        manifests = pull.pull_days(
            con,
            source,
            days,
            exports,
            settings.report_timezone,
            environ,
            on_day=lambda manifest: logger.info("pulled %s", pull.summary(manifest)),
        )
    return [manifest["date"] for manifest in manifests]


def pull_environment(source: str) -> dict[str, str]:
    """The pull variables of `source`: the environment's, else a Prefect Secret block's."""
    from prefect.blocks.system import Secret

    environ = {}
    for name in pull.VARIABLES.get(source, ()):
        value = os.environ.get(name)
        if value is None:
            try:
                value = str(Secret.load(name.lower().replace("_", "-")).get())
            except ValueError:  # no such block
                continue
        environ[name] = value
    return environ


@task(name="find-unloaded-days", cache_policy=NO_CACHE)
def unloaded_days(
    con: duckdb.DuckDBPyConnection, exports: Path, day: date, source: str
) -> list[ingest.ExportDay]:
    """Export days before `day` never loaded (a weekday schedule skips the weekend)."""
    return ingest.unloaded_days(con, exports, day, source)


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
    try:
        result = ingest.load_day(con, day, exports, settings.quality, settings.extensions, runner)
    except ingest.ExportFileError as error:
        get_run_logger().error("%s", error)
        return None
    _log_load(result)
    return result


@task(name="ingest-days", cache_policy=NO_CACHE)
def ingest_days(
    con: duckdb.DuckDBPyConnection,
    exports: Path,
    days: list[ingest.ExportDay],
    settings: Settings,
    runner: quality.SuiteRunner,
    ahead: ingest.StageAhead | None = None,
    following: list[ingest.ExportDay] | None = None,
) -> list[ingest.DayLoad | None]:
    """Load a batch of days in one transaction (one GX run per entity); log each day.

    A day with a fatal file is left out of the batch and recorded in
    `ops.load_failures` (None in the list); its neighbours load. With `ahead`, the batch
    is taken as staged ahead (when it was) and the `following` batch is read and typed
    in the background while this one is validated and stored.
    """
    loads: list[ingest.DayLoad | None] = []
    staged = ahead.take(days) if ahead is not None else None
    if ahead is not None and following:
        ahead.start(following)
    outcomes = ingest.load_days(
        con, days, exports, settings.quality, settings.extensions, runner, staged
    )
    for outcome in outcomes:
        if isinstance(outcome, ingest.ExportFileError):
            get_run_logger().error("%s", outcome)
            loads.append(None)
        else:
            _log_load(outcome)
            loads.append(outcome)
    return loads


def _log_load(result: ingest.DayLoad) -> None:
    """Log what loading a day did: skipped, or each file's rows."""
    logger = get_run_logger()
    if result.skipped:
        logger.info("%s: already loaded, unchanged", result.export_date)
    for file in result.files:
        logger.info(
            "%s: %s rows read, %s loaded, %s quarantined",
            file.source_file,
            file.rows_read,
            file.rows_loaded,
            file.rows_quarantined,
        )


@task(name="write-data-docs", cache_policy=NO_CACHE)
def write_data_docs(con: duckdb.DuckDBPyConnection, days: list[date], settings: Settings) -> Path:
    """Render the Data Docs pages of these days' stored GX runs (a backfill's batches)."""
    index = quality.write_data_docs(con, settings.out_dir, days, settings.extensions)
    get_run_logger().info("Data Docs written to %s", index)
    return index


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
    # a driver field no loaded ticket has: every run says so (a `Warning:` line, a run log)
    if problem := ingest.driver_field_problem(con, settings):
        logging.getLogger(WARNINGS_LOGGER).warning("%s", problem)
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
    payload = digest_delivery.slack_payload(result, settings)
    paths += blocks.write_payload(payload, settings.out_dir, result["date"])
    get_run_logger().info("digest written to %s", ", ".join(str(p) for p in paths))
    return payload


@task(name="publish-digest-artifacts", cache_policy=NO_CACHE)
def publish_digest_artifacts(result: dict[str, Any]) -> list[str]:
    """Show the day's digest (the text of digest-<D>.md) and its data quality in Prefect's
    UI, under keys stable per day; redacted, no credential. The keys."""
    day = result["date"]
    digest_key = artifacts.key("digest", day)
    quality_key = artifacts.key("data-quality", day)
    create_markdown_artifact(
        artifacts.digest_markdown(result),
        key=digest_key,
        description=f"Backlog digest of {day}",
    )
    create_table_artifact(
        artifacts.quality_table(result),
        key=quality_key,
        description=f"Data quality of the export of {day}",
    )
    return [digest_key, quality_key]


@task(name="publish-review-artifact", cache_policy=NO_CACHE)
def publish_review_artifact(pack: dict[str, Any]) -> str:
    """Show the review pack's key figures in Prefect's UI, under a key stable per week."""
    review_key = artifacts.key("review", pack["week"])
    create_markdown_artifact(
        artifacts.review_markdown(pack),
        key=review_key,
        description=f"Support review {pack['week']}: key figures",
    )
    return review_key


@task(name="post-digest", cache_policy=NO_CACHE)
def post_digest(
    con: duckdb.DuckDBPyConnection, day: date, payload: dict[str, Any], settings: Settings
) -> str:
    """Post (or update) the day's digest in Slack, then any digest still pending."""
    return digest_delivery.deliver(con, day, payload, settings, get_run_logger())


@task(name="note-missing-day", cache_policy=NO_CACHE)
def note_missing_day(
    con: duckdb.DuckDBPyConnection, exports: Path, day: date, run_day: bool = False
) -> None:
    """Keep a day without an export folder as a failed day; log it. `run_day`: the morning
    run's own day, a wrong date when it is before the history (then it raises)."""
    note = ingest.note_missing_run_day if run_day else ingest.note_missing_day
    message = note(con, exports, day)
    if message:
        get_run_logger().error("%s", message)


@task(name="publish-readers-copy", cache_policy=NO_CACHE)
def publish_readers_copy(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> warehouse.PublishedCopy | warehouse.SkippedCopy | warehouse.RemovedCopy | None:
    """Replace the read-only copy analysts and BI tools open. Switched off: remove an
    earlier run's copy (`RemovedCopy`, None when there was none); a `SkippedCopy` when
    the warehouse is above `readers_copy_max_gb`. The flow says either's message."""
    if not settings.readers_copy:
        return warehouse.remove_copy(settings.readers_copy_path)
    copy = warehouse.publish_copy(
        con, settings.db_path, settings.readers_copy_path, settings.readers_copy_max_gb
    )
    if isinstance(copy, warehouse.PublishedCopy):
        get_run_logger().info(
            "readers' copy %s (%s in %.2f s%s)",
            copy.path,
            warehouse.file_size(copy.size_bytes),
            copy.seconds,
            ", cloned" if copy.cloned else "",
        )
    return copy


@task(name="check-data-quality", cache_policy=NO_CACHE)
def fail_on_bad_data(result: dict[str, Any], failed_days: str | None = None) -> None:
    """End the flow run failed when day D's data failed, or (`failed_days`) when days of a
    range did not load, after the digest says so."""
    reason = failed_days or quality.failure_reason(result["data_quality"])
    if reason:
        raise IncompleteDataError(reason, result)


@task(name="build-review", cache_policy=NO_CACHE)
def build_review(con: duckdb.DuckDBPyConnection, week: str, settings: Settings) -> dict[str, Any]:
    """The review pack of one week, from the marts."""
    return review.build_review(con, week, settings)


@task(name="write-review", cache_policy=NO_CACHE)
def write_review(pack: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the HTML, the Markdown and the charts."""
    paths = review.write_review(pack, out_dir)
    get_run_logger().info("review written to %s", ", ".join(str(p) for p in paths[:2]))
    return paths


@task(name="post-review", cache_policy=NO_CACHE)
def post_review(con: duckdb.DuckDBPyConnection, week: str, html: Path) -> str:
    """Share the pack's HTML in Slack once, when a bot token and channel are configured."""
    return review_delivery.share_review(con, week, html, get_run_logger())
