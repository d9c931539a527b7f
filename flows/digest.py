"""The digest flow: day D's digest from the warehouse, its files written, posted on request.

`publish` is the one definition of a run's end: the daily flow and the backfill call it
after loading, with their own connection and settings, and `backlog digest --date D` runs
it in this flow, so all three write the same files (digest, KB drafts, Data Docs, Slack
message and preview) the same way.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow
from prefect.utilities.annotations import quote

from flows import steps
from tasks import ingest, warehouse
from tasks.config import Settings, load_settings
from tasks.errors import WARNINGS_LOGGER


@dataclass(frozen=True)
class DigestRun:
    """What the digest flow did: the digest, what Slack delivery did (None: not asked),
    and the wall seconds of its parts (`digest`: build, files, post; `readers' copy`)."""

    digest: dict[str, Any]
    delivery: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def publish(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, post: bool = False
) -> DigestRun:
    """The end of every run, as tasks of the calling flow: build day D's digest from the
    marts, write its files (digest, KB drafts, Data Docs, Slack message and preview),
    with `post` deliver it, and last publish the warehouse's read-only copy for readers.
    The digest and its data quality are Prefect artifacts too."""
    started = time.perf_counter()
    result = steps.build_digest(con, day, settings)
    # quote(): Prefect would otherwise walk the whole digest, every KB candidate's ticket
    # ids included (MBs at a large org), looking for futures before each task it is given to
    payload = steps.write_digest(con, quote(result), settings)
    steps.publish_digest_artifacts(quote(result))
    delivery = steps.post_digest(con, day, payload, settings) if post else None
    copying = time.perf_counter()
    copy = steps.publish_readers_copy(con, settings)
    # printed by a `backlog` command, and a run log
    if isinstance(copy, warehouse.SkippedCopy | warehouse.RemovedCopy):
        logging.getLogger(WARNINGS_LOGGER).warning("%s", copy.message)
    seconds = {"digest": copying - started, "readers' copy": time.perf_counter() - copying}
    return DigestRun(result, delivery, seconds)


@flow(name="digest")
def digest(
    day: date,
    db: Path | None = None,
    out: Path | None = None,
    config: Path | None = None,
    post: bool = False,
) -> DigestRun:
    """`backlog digest`: bring the marts up to date with what is loaded (incrementally),
    then `publish` day D's digest; no export is read."""
    settings = load_settings(config, db_path=db, out_dir=out)
    with warehouse.connect(settings) as con:
        if ingest.has_loads(con):  # nothing loaded yet: no models to build
            steps.build_models(con, settings)
        run = publish(con, day, settings, post)
    steps.fail_on_bad_data(quote(run.digest))  # a failed day exits as its run did
    return run
