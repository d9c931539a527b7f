"""Load a range of days in order, then write the digest of the last one."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow

from flows import steps
from tasks import ingest, quality, warehouse
from tasks.config import load_settings
from tasks.errors import BacklogError
from tasks.ingest import check_source

# Progress lines: Prefect records them as run logs (PREFECT_LOGGING_EXTRA_LOGGERS),
# the CLI draws them as a progress bar.
PROGRESS = logging.getLogger("backlog.progress")


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
    if end < start:
        raise BacklogError(f"--end {end} is before --start {start}; swap them.")
    settings = load_settings(config, db_path=db, out_dir=out)
    runner = quality.SuiteRunner()  # this run's GX set-up, shared by its loads
    runner.preload(settings.extensions)  # GX's import overlaps with finding the exports
    check_source(source)
    days = ingest.discover_exports(exports, start, end, source)
    if not days:
        raise BacklogError(
            f"No export folders between {start} and {end} under {exports}; "
            "check --exports and the dates."
        )
    with warehouse.connect(settings) as con:
        for number, day in enumerate(days, start=1):
            steps.ingest_day(con, exports, day, settings, runner)
            PROGRESS.info(
                "loaded %s (%s of %s)",
                day.export_date,
                number,
                len(days),
                extra={"step": number, "total": len(days)},
            )
        steps.build_models(con, settings)
        steps.refresh_kb(con, end, settings)
        digest = steps.build_digest(con, end, settings)
        steps.write_digest(con, digest, settings)
        steps.fail_on_bad_data(digest)
    return digest
