"""The weekly run: the support-product review pack of one ISO week, from the marts as they are."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.utilities.annotations import quote

from flows import steps
from tasks import warehouse
from tasks.config import load_settings
from tasks.reports import review


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
        pack = steps.build_review(con, week, settings)
        # quote(): Prefect does not walk the pack (charts and all) for futures
        paths = steps.write_review(quote(pack), settings.out_dir)
        steps.publish_review_artifact(quote(pack))
        if post:
            steps.post_review(con, week, next(p for p in paths if p.suffix == ".html"))
    summary = {key: value for key, value in pack.items() if key != "charts"}
    return summary | {"files": [str(path) for path in paths]}


def last_complete_week(timezone: str) -> str:
    """The ISO week before the current one in the report time zone, as `YYYY-Www`."""
    return review.last_complete_week(datetime.now(ZoneInfo(timezone)).date())
