"""The weekly run: the support-product review pack of one ISO week, from the marts as they are."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks import warehouse
from tasks.config import Settings, load_settings
from tasks.delivery import slack
from tasks.reports import review


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
    logger = get_run_logger()
    target = slack.SlackTarget.from_env()
    if target is None:
        logger.info("Slack is not configured: the review pack was not posted.")
        return "not configured"
    file_id = slack.share_file(
        con, target, html, f"Weekly support review {week}", f"The weekly support review, {week}."
    )
    logger.info("Slack: review %s %s", week, "shared" if file_id else "already shared")
    return "shared" if file_id else "already shared"


@flow(name="weekly-review")
def weekly_review(
    week: str | None = None,
    db: Path | None = None,
    out: Path | None = None,
    config: Path | None = None,
    post: bool = False,
) -> dict[str, Any]:
    """The review pack of `week` (default: the last complete ISO week); rebuilds nothing.

    Returns the pack without its chart bytes, plus the files written (`files`).
    """
    settings = load_settings(config, db_path=db, out_dir=out)
    week = week or last_complete_week(settings.report_timezone)
    review.parse_week(week)
    with warehouse.connect(settings) as con:
        pack = build_review(con, week, settings)
        paths = write_review(pack, settings.out_dir)
        if post:
            post_review(con, week, next(p for p in paths if p.suffix == ".html"))
    summary = {key: value for key, value in pack.items() if key != "charts"}
    return summary | {"files": [str(path) for path in paths]}


def last_complete_week(timezone: str) -> str:
    """The ISO week before the current one in the report time zone, as `YYYY-Www`."""
    return review.last_complete_week(datetime.now(ZoneInfo(timezone)).date())
