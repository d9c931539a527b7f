"""Publish the read-only copy of the warehouse that analysts and BI tools open instead of it."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tasks.errors import BacklogError

GB = 1_000_000_000
MB = 1_000_000
_FICLONE = 0x40049409  # Linux's ioctl that clones a file's blocks (btrfs, XFS, bcachefs)


@dataclass(frozen=True)
class PublishedCopy:
    """The copy written: where, how large (bytes), how long it took (seconds), and whether
    the file system cloned the warehouse's blocks instead of copying them."""

    path: Path
    size_bytes: int
    seconds: float
    cloned: bool = False


@dataclass(frozen=True)
class SkippedCopy:
    """No copy: the warehouse is above the limit and the file system cannot clone it.
    `message` says what, why and what to do, and what became of the old copy."""

    path: Path
    size_bytes: int
    message: str


@dataclass(frozen=True)
class RemovedCopy:
    """The copy is switched off (`readers_copy = false`) and the one an earlier run
    published was removed (or could not be): `message` says so, once."""

    path: Path
    message: str


def publish_copy(
    con: duckdb.DuckDBPyConnection, warehouse: Path, target: Path, max_gb: float | None = None
) -> PublishedCopy | SkippedCopy:
    """Checkpoint the warehouse, clone or copy its file beside `target`, then rename it over
    `target`; above `max_gb` (GB, 10^9 bytes) a plain copy is skipped and the old copy removed.

    The caller holds the warehouse open (DuckDB's one-writer lock), so nothing writes to
    the file between the checkpoint and the end of the copy: the copy is the warehouse as
    the run left it. The rename is atomic: a reader sees the old copy or the new one,
    never half of one, and a reader that holds the old copy open keeps reading it (on
    Linux and macOS its file lives on until it is closed), so it never stops a run.
    Where the file system clones files (btrfs, XFS) the copy costs neither time nor space,
    whatever the size. A plain file copy after a checkpoint was measured cheaper than
    DuckDB's `COPY FROM DATABASE`; the size limit and the removal of a stale copy are
    explained in DECISIONLOG.md.
    """
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute("checkpoint")
        size = warehouse.stat().st_size
        cloned = _clone(warehouse, temporary)
        if not cloned and max_gb is not None and size > max_gb * GB:
            temporary.unlink(missing_ok=True)
            return SkippedCopy(target, size, _skip(warehouse, target, size, max_gb))
        if not cloned:
            shutil.copyfile(warehouse, temporary)
        # a write-ahead log left beside an older copy (someone opened it for writing)
        # must not be replayed into the new one
        _wal(target).unlink(missing_ok=True)
        os.replace(temporary, target)
    except (OSError, duckdb.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise BacklogError(
            f"Could not publish the readers' copy {target} of the warehouse ({exc}); the "
            "warehouse itself is complete: check the folder's space and permissions, or set "
            "readers_copy = false."
        ) from exc
    return PublishedCopy(target, target.stat().st_size, time.perf_counter() - started, cloned)


def _clone(source: Path, destination: Path) -> bool:
    """Clone `source` into `destination` where the file system shares blocks between files
    (no data is copied); False where it cannot (ext4, tmpfs, another file system, not Linux),
    leaving an empty `destination`."""
    try:
        import fcntl
    except ImportError:  # Windows
        return False
    with source.open("rb") as reading, destination.open("wb") as writing:
        try:
            fcntl.ioctl(writing.fileno(), _FICLONE, reading.fileno())
        except OSError:
            return False
    return True


def file_size(size_bytes: float) -> str:
    """A file's size as every line of the tool says it: "840 MB", "13.2 GB" (10^9 bytes,
    the unit of `readers_copy_max_gb`); "1 MB" at the least, so a small file never reads
    "0 MB" or "0.0 GB"."""
    if round(size_bytes / MB) >= 1000:
        return f"{size_bytes / GB:.1f} GB"
    return f"{max(round(size_bytes / MB), 1)} MB"


def _skip(warehouse: Path, target: Path, size: int, max_gb: float) -> str:
    """The one line a run prints when it skips the copy: what, why, the old copy, what to do.

    The old copy is removed: it holds the figures of the last run that published one, and
    no later run would replace it, so a notebook or a dashboard on it would go on showing
    them as if they were today's. A missing file is an error its reader sees at once.
    """
    try:
        if _remove(target):
            old = "the old copy was removed, so nobody reads stale figures from it"
        else:
            old = "there is no old copy"
    except OSError as exc:
        old = f"the old copy, now stale, could not be removed ({exc}): delete it"
    return (
        f"Readers' copy {target} not published: the warehouse is {file_size(size)}, above "
        f"readers_copy_max_gb = {max_gb:g}, and a copy would write another {file_size(size)} "
        f"every run; {old}. Raise readers_copy_max_gb in backlog.toml to publish it, or open "
        f"{warehouse} read-only between runs."
    )


def remove_copy(target: Path) -> RemovedCopy | None:
    """With the copy switched off: remove the one an earlier run published, for the reason
    `_skip` removes it (nothing replaces it, so a dashboard would show its day's figures
    as today's). None when there is none, so a run says it once, the first run after the
    switch; a copy that cannot be removed is said every run until someone deletes it."""
    try:
        if not _remove(target):
            return None
    except OSError as exc:
        return RemovedCopy(
            target,
            f"Readers' copy {target} is stale (readers_copy = false: no run replaces it) and "
            f"could not be removed ({exc}): delete it, or a dashboard on it shows old "
            "figures as today's.",
        )
    return RemovedCopy(
        target,
        f"Readers' copy {target} removed: readers_copy = false in backlog.toml, so no run "
        "would replace it, and a notebook or a dashboard on it would show its day's figures "
        "as today's. Set readers_copy = true to publish it again.",
    )


def _remove(target: Path) -> bool:
    """Remove a copy and its write-ahead log; whether there was a copy."""
    existed = target.exists()
    target.unlink(missing_ok=True)
    _wal(target).unlink(missing_ok=True)
    return existed


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")
