"""Ingest: find export days, check the source, load a day in one transaction, forget a day.

`discover` finds the day folders and their files, `days` picks the days a run loads
(the mornings a schedule missed, a backfill's range), `sources` checks a `--source`
value before a run, `load` loads a day (readers from `tasks/adapters`, validation
from `tasks/quality`) with its ledger in `ops.loads`, `fields` checks the configured
driver field against the fields the loads had. Ingest imports adapters and
quality; neither imports ingest.
"""

from tasks.adapters.files import ExportFileError
from tasks.ingest.ahead import StageAhead
from tasks.ingest.days import (
    BACKFILL_BATCH_DAYS,
    AfterLoads,
    after_loads,
    backfill_batches,
    backfill_days,
    find_export_day,
    has_loads,
    missing_days,
    note_missing_day,
    note_missing_run_day,
    range_failure,
    unloaded_days,
)
from tasks.ingest.discover import ExportDay, discover_exports, export_day
from tasks.ingest.fields import driver_field_problem
from tasks.ingest.load import DayLoad, file_sha256, forget_day, load_day, load_days
from tasks.ingest.sources import SOURCE_HELP, SOURCES, check_source
from tasks.quality import FileLoad

__all__ = [
    "BACKFILL_BATCH_DAYS",
    "SOURCES",
    "SOURCE_HELP",
    "AfterLoads",
    "DayLoad",
    "ExportDay",
    "ExportFileError",
    "FileLoad",
    "StageAhead",
    "after_loads",
    "backfill_batches",
    "backfill_days",
    "check_source",
    "discover_exports",
    "driver_field_problem",
    "export_day",
    "file_sha256",
    "find_export_day",
    "forget_day",
    "has_loads",
    "load_day",
    "load_days",
    "missing_days",
    "note_missing_day",
    "note_missing_run_day",
    "range_failure",
    "unloaded_days",
]
