"""The morning run: ingest day D's export (and any day not loaded yet), rebuild the marts,
write D's digest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow

from flows import steps
from flows.digest import publish
from tasks import ingest, quality, warehouse
from tasks.config import load_settings
from tasks.ingest import check_source


@flow(name="daily-backlog")
def daily_backlog(
    exports: Path,
    day: date | None = None,
    source: str = "canonical",
    db: Path | None = None,
    out: Path | None = None,
    config: Path | None = None,
    post: bool = False,
    full_refresh: bool = False,
) -> dict[str, Any]:
    """Ingest -> validate -> model -> digest (-> Slack) for one day (default: yesterday).

    The models are updated incrementally (the day's tickets, the recent report days);
    `full_refresh` rebuilds them from everything loaded.
    """
    settings = load_settings(config, db_path=db, out_dir=out)
    runner = quality.SuiteRunner()  # this run's GX set-up, shared by its loads
    runner.preload(settings.extensions)  # GX's import overlaps with finding the exports
    day = day or yesterday(settings.report_timezone)
    check_source(source)
    export = ingest.export_day(exports, day, source)
    with warehouse.connect(settings) as con:
        warehouse.defer_vacuum(con)  # the weekly review's connection vacuums instead
        # a weekday schedule skips Saturday's run: Monday loads the weekend's exports too
        for missed in steps.unloaded_days(con, exports, day, source):
            steps.ingest_day(con, exports, missed, settings, runner)
        steps.ingest_day(con, exports, export, settings, runner)
        steps.build_models(con, settings, full_refresh)
        steps.refresh_kb(con, day, settings)
        result = publish(con, day, settings, post).digest
    steps.fail_on_bad_data(result)
    return result


def yesterday(timezone: str) -> date:
    """The day a morning run reports on: yesterday in the report time zone."""
    return datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)
