"""The morning run: ingest day D's export (and any day not loaded yet), rebuild the marts,
write D's digest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.utilities.annotations import quote

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
    pull: bool = False,
) -> dict[str, Any]:
    """Ingest -> validate -> model -> digest (-> Slack) for one day (default: yesterday).

    The models are updated incrementally (the day's tickets, the recent report days);
    `full_refresh` rebuilds them from everything loaded. `pull` first fetches every day
    not pulled yet up to `day` from the `source` helpdesk's API into `exports`.
    """
    settings = load_settings(config, db_path=db, out_dir=out)
    runner = quality.SuiteRunner()  # this run's GX set-up, shared by its loads
    runner.preload(settings.extensions)  # GX's import overlaps with finding the exports
    day = day or yesterday(settings.report_timezone)
    check_source(source)
    if pull:
        steps.pull_days(exports, day, source, settings)
    export = ingest.find_export_day(exports, day, source)  # None: no folder for the day
    with warehouse.connect(settings) as con:
        warehouse.defer_vacuum(con)  # the weekly review's connection vacuums instead
        # a weekday schedule skips Saturday's run: Monday loads the weekend's exports too
        loads = [
            steps.ingest_day(con, exports, missed, settings, runner)
            for missed in steps.unloaded_days(con, exports, day, source)
        ]
        if export is None:
            steps.note_missing_day(con, exports, day, run_day=True)
        else:
            loads.append(steps.ingest_day(con, exports, export, settings, runner))
        # a failed or missing day changes nothing outside ops (tasks/ingest/days.py)
        after = ingest.after_loads(con, day, loads)
        if after.build_models:
            steps.build_models(con, settings, full_refresh)
        if after.kb_day is not None:
            steps.refresh_kb(con, after.kb_day, settings)
        result = publish(con, day, settings, post).digest
    steps.fail_on_bad_data(quote(result))  # not walked for futures: see flows/digest.py
    return result


def yesterday(timezone: str) -> date:
    """The day a morning run reports on: yesterday in the report time zone."""
    return datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)
