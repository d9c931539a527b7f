"""Load a range of days in order, then write the digest of the last one."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.utilities.annotations import quote

from flows import steps
from flows.digest import publish
from flows.progress import BATCH_LINE, CLOSING_LINE, PROGRESS_LOGGER, BackfillClock, batch_line
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
    """Ingest every export day in [start, end], oldest first; digest of `end`.

    A day without an export folder is kept as a failed day; the run loads the others,
    writes the digest and ends failed, naming every day that did not load. Days load in
    batches of `ingest.BACKFILL_BATCH_DAYS`, each in one transaction with one GX run per
    entity; a day with a fatal file fails alone. Progress is reported per day, a line per
    batch (its days, rows read, seconds) and a closing line with the time of each part.
    """
    found = {day.export_date: day for day in ingest.backfill_days(exports, start, end, source)}
    missing = ingest.missing_days(list(found.values()), start, end)
    days = sorted([*found, *missing])
    settings = load_settings(config, db_path=db, out_dir=out)
    runner = quality.SuiteRunner()  # this run's GX set-up, shared by its loads
    runner.preload(settings.extensions)  # GX's import overlaps with opening the warehouse
    # progress lines: Prefect records them as run logs (PREFECT_LOGGING_EXTRA_LOGGERS),
    # the CLI draws them as a progress bar
    progress = logging.getLogger(PROGRESS_LOGGER)
    clock = BackfillClock()  # each part's wall seconds, for the closing line
    # the next batch is read and typed on a second connection while one loads
    with (
        warehouse.connect(settings) as con,
        ingest.StageAhead(con, exports, settings.quality) as ahead,
    ):
        loads: list[ingest.DayLoad | None] = []
        number = 0
        # one transaction and one GX run per entity for each batch's export folders
        batches = [
            (batch, [found[day] for day in batch if day in found])
            for batch in ingest.backfill_batches(days)
        ]
        for index, (batch, exported) in enumerate(batches):
            with clock.part("loads") as lap:
                following = next((files for _, files in batches[index + 1 :] if files), [])
                batch_loads = (
                    steps.ingest_days(con, exports, exported, settings, runner, ahead, following)
                    if exported
                    else []
                )
                loads += batch_loads
                for day in batch:
                    number += 1
                    if day not in found:
                        steps.note_missing_day(con, exports, day)
                    progress.info(
                        "%s %s (%s of %s)",
                        "loaded" if day in found else "no export for",
                        day,
                        number,
                        len(days),
                        extra={"step": number, "total": len(days)},
                    )
            progress.info(
                "%s",
                batch_line(batch, batch_loads, lap.seconds),
                extra={"step": number, "total": len(days), "line": BATCH_LINE},
            )
        with clock.part("Data Docs"):
            if any(load is not None and not load.skipped for load in loads):
                # a page per batch and entity; the run's end adds the last day's again
                steps.write_data_docs(con, days, settings)
        after = ingest.after_loads(con, end, loads)
        with clock.part("models"):
            if after.build_models:
                steps.build_models(con, settings)
        with clock.part("KB"):
            if after.kb_day is not None:
                steps.refresh_kb(con, after.kb_day, settings)
        run = publish(con, end, settings)
        result = run.digest
        failed_days = ingest.range_failure(con, start, end)
    clock.add(run.seconds)
    progress.info("%s", clock.closing_line(len(days)), extra={"line": CLOSING_LINE})
    steps.fail_on_bad_data(quote(result), failed_days)  # quote: see flows/digest.py
    return result
