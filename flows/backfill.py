"""Load a range of days in order, then write the digest of the last one."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow

from flows import steps
from flows.digest import publish
from tasks import ingest, quality, warehouse
from tasks.config import load_settings


@flow(name="backfill")
def backfill(
    exports: Path,
    start: date,
    end: date,
    source: str = "canonical",
    db: Path | None = None,
    out: Path | None = None,
    config: Path | None = None,
) -> dict[str, Any]:
    """Ingest every export day in [start, end], oldest first; digest of `end`."""
    days = ingest.backfill_days(exports, start, end, source)
    settings = load_settings(config, db_path=db, out_dir=out)
    runner = quality.SuiteRunner()  # this run's GX set-up, shared by its loads
    runner.preload(settings.extensions)  # GX's import overlaps with opening the warehouse
    # progress lines: Prefect records them as run logs (PREFECT_LOGGING_EXTRA_LOGGERS),
    # the CLI draws them as a progress bar
    progress = logging.getLogger("backlog.progress")
    with warehouse.connect(settings) as con:
        for number, day in enumerate(days, start=1):
            steps.ingest_day(con, exports, day, settings, runner)
            progress.info(
                "loaded %s (%s of %s)",
                day.export_date,
                number,
                len(days),
                extra={"step": number, "total": len(days)},
            )
        steps.build_models(con, settings)
        steps.refresh_kb(con, end, settings)
        result = publish(con, end, settings).digest
    steps.fail_on_bad_data(result)
    return result
