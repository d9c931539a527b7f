"""Load export days the way `backlog backfill` does: in batches of days, one transaction and
one Great Expectations run per entity and batch, with one GX set-up for all of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from tasks import ingest, quality
from tasks.config import QualitySettings
from tasks.extensions import NONE as NO_EXTENSIONS
from tasks.extensions import Extensions


def load_exports(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    source: str = "canonical",
    quality_settings: QualitySettings | None = None,
    ext: Extensions = NO_EXTENSIONS,
    days: Sequence[ingest.ExportDay] | None = None,
    runner: quality.SuiteRunner | None = None,
) -> list[ingest.DayLoad]:
    """`days` (default: every export day under `root`), oldest first; a fatal day raises."""
    runner = runner or quality.SuiteRunner()
    found = ingest.discover_exports(root, source=source) if days is None else days
    loads: list[ingest.DayLoad] = []
    for batch in ingest.backfill_batches(found):
        for outcome in ingest.load_days(con, batch, root, quality_settings, ext, runner):
            if isinstance(outcome, ingest.ExportFileError):
                raise outcome
            loads.append(outcome)
    return loads
