"""Load a range of days in order, then write the digest of the last one."""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow

from flows import steps
from flows.digest import publish
from flows.progress import BATCH_LINE, CLOSING_LINE
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
    progress = logging.getLogger("backlog.progress")
    with warehouse.connect(settings) as con:
        loads: list[ingest.DayLoad | None] = []
        number = 0
        spent = dict.fromkeys(("loads", "Data Docs", "models", "KB"), 0.0)
        for batch in ingest.backfill_batches(days):
            started = time.perf_counter()
            # one transaction and one GX run per entity for the batch's export folders
            exported = [found[day] for day in batch if day in found]
            batch_loads = (
                steps.ingest_days(con, exports, exported, settings, runner) if exported else []
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
            seconds = time.perf_counter() - started
            spent["loads"] += seconds
            progress.info(
                "%s",
                _batch_line(batch, batch_loads, seconds),
                extra={"step": number, "total": len(days), "line": BATCH_LINE},
            )
        started = time.perf_counter()
        if any(load is not None and not load.skipped for load in loads):
            # a page per batch and entity; the run's end adds the last day's again
            steps.write_data_docs(con, days, settings)
        spent["Data Docs"] = time.perf_counter() - started
        after = ingest.after_loads(con, end, loads)
        started = time.perf_counter()
        if after.build_models:
            steps.build_models(con, settings)
        spent["models"] = time.perf_counter() - started
        started = time.perf_counter()
        if after.kb_day is not None:
            steps.refresh_kb(con, after.kb_day, settings)
        spent["KB"] = time.perf_counter() - started
        run = publish(con, end, settings)
        result = run.digest
        failed_days = ingest.range_failure(con, start, end)
    spent.update(run.seconds)
    progress.info("%s", _closing_line(len(days), spent), extra={"line": CLOSING_LINE})
    steps.fail_on_bad_data(result, failed_days)
    return result


def _batch_line(batch: list[date], loads: list[ingest.DayLoad | None], seconds: float) -> str:
    """One batch in a line: its days, how many loaded (and why not), rows read, seconds."""
    rows = sum(file.rows_read for load in loads if load is not None for file in load.files)
    counts = {
        "failed": sum(1 for load in loads if load is None),
        "unchanged": sum(1 for load in loads if load is not None and load.skipped),
        "without an export": len(batch) - len(loads),
    }
    loaded = len(batch) - sum(counts.values())
    notes = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    days = f"{batch[0]}..{batch[-1]}" if len(batch) > 1 else f"{batch[0]}"
    return (
        f"{days}: {loaded} of {len(batch)} days loaded{f' ({notes})' if notes else ''}, "
        f"{rows:,} rows read, {seconds:.1f} s"
    )


def _closing_line(total_days: int, spent: dict[str, float]) -> str:
    """The backfill's parts in wall seconds: loads, Data Docs, models, KB, digest, copy."""
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in spent.items())
    return f"backfill of {total_days} days done in {sum(spent.values()):.1f} s: {parts}"
