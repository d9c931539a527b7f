"""The Prefect task wrappers around the plain functions in `tasks/`.

The logic lives in `tasks/` with no Prefect import; here each step becomes a
task so the flow run shows it. Inputs hold a DuckDB connection, so nothing is
cached. Retries belong on I/O with the outside world (Slack), not here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks import digest, ingest, models
from tasks.config import Settings


@task(name="ingest-day", cache_policy=NO_CACHE)
def ingest_day(
    con: duckdb.DuckDBPyConnection, exports: Path, day: ingest.ExportDay
) -> ingest.DayLoad:
    """Load one day's export folder; log what it did."""
    result = ingest.load_day(con, day, exports)
    logger = get_run_logger()
    if result.skipped:
        logger.info("%s: already loaded, unchanged", day.export_date)
    for file in result.files:
        logger.info(
            "%s: %s rows read, %s loaded, %s quarantined",
            file.source_file,
            file.rows_read,
            file.rows_loaded,
            file.rows_quarantined,
        )
    return result


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild staging, intermediate and marts from what is loaded."""
    return models.build_models(con)


@task(name="build-digest", cache_policy=NO_CACHE)
def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> dict[str, Any]:
    """The digest of one day, from the marts."""
    return digest.build_digest(con, day, settings)


@task(name="write-digest", cache_policy=NO_CACHE)
def write_digest(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write the digest files."""
    paths = digest.write_digest(result, out_dir)
    get_run_logger().info("digest written to %s", ", ".join(str(p) for p in paths.values()))
    return paths
