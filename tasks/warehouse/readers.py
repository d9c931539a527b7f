"""Publish the read-only copy of the warehouse that analysts and BI tools open instead of it."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tasks.errors import BacklogError


@dataclass(frozen=True)
class PublishedCopy:
    """The copy written: where, how large (bytes) and how long it took (seconds)."""

    path: Path
    size_bytes: int
    seconds: float


def publish_copy(con: duckdb.DuckDBPyConnection, warehouse: Path, target: Path) -> PublishedCopy:
    """Checkpoint the warehouse, copy its file beside `target`, then rename it over `target`.

    The caller holds the warehouse open (DuckDB's one-writer lock), so nothing writes to
    the file between the checkpoint and the end of the copy: the copy is the warehouse as
    the run left it. The rename is atomic: a reader sees the old copy or the new one,
    never half of one, and a reader that holds the old copy open keeps reading it (on
    Linux and macOS its file lives on until it is closed), so it never stops a run.
    A plain file copy after a checkpoint was measured cheaper than DuckDB's
    `COPY FROM DATABASE` (DECISIONLOG.md).
    """
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute("checkpoint")
        shutil.copyfile(warehouse, temporary)
        # a write-ahead log left beside an older copy (someone opened it for writing)
        # must not be replayed into the new one
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(temporary, target)
    except (OSError, duckdb.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise BacklogError(
            f"Could not publish the readers' copy {target} of the warehouse ({exc}); the "
            "warehouse itself is complete: check the folder's space and permissions, or set "
            "readers_copy = false."
        ) from exc
    return PublishedCopy(target, target.stat().st_size, time.perf_counter() - started)
