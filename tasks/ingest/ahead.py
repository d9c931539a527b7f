"""Read and type a backfill's next batch on a second connection while this one loads.

A batch's load is two halves of about equal cost: reading and typing its files into
temp tables (DuckDB, which releases the GIL), then validating (GX, Python) and
storing them (inserts and the commit). `StageAhead` runs the first half of batch N+1
in a thread, on a connection of its own to the same warehouse, while batch N is
validated and stored, so the loads use both cores of a small machine. Staging writes
nothing to the warehouse (`load.stage_days`): the staged batch is then validated and
stored on the connection that holds its temp tables, in one transaction as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import duckdb

from tasks import warehouse
from tasks.config import QualitySettings
from tasks.ingest.discover import ExportDay
from tasks.ingest.load import StagedDays, stage_days


class StageAhead:
    """Stages one batch ahead in a background thread; `take` hands it over.

    Use it as a context manager: leaving it (also on an error or an interrupt) stops a
    staging still running and closes its connection, temp tables and all.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, root: Path, settings: QualitySettings
    ) -> None:
        self._con = con
        self._root = root
        self._settings = settings
        self._thread: threading.Thread | None = None
        self._days: list[ExportDay] = []
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self._staged: StagedDays | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> StageAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._discard()

    def start(self, days: Sequence[ExportDay]) -> None:
        """Begin reading and typing `days` on a second connection, in the background."""
        self._discard()
        self._days = list(days)
        self._cursor = warehouse.session_twin(self._con)
        self._thread = threading.Thread(
            target=self._stage, args=(self._cursor,), name="stage-ahead", daemon=True
        )
        self._thread.start()

    def take(self, days: Sequence[ExportDay]) -> StagedDays | None:
        """The batch `days` as staged ahead (`load_days` closes its connection once the
        batch is stored), or None when another batch (or none) was started.

        An error raised while staging is raised here.
        """
        if self._thread is None or list(days) != self._days:
            self._discard()
            return None
        self._thread.join()
        self._thread = None
        staged, error = self._staged, self._error
        self._staged, self._error, self._cursor = None, None, None
        if error is not None:
            raise error
        return staged

    def _stage(self, cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            self._staged = stage_days(cursor, self._days, self._root, self._settings)
        except BaseException as exc:  # handed to the thread that takes the batch
            self._error = exc

    def _discard(self) -> None:
        """Stop and forget a staging in flight: its connection closes with its tables."""
        if self._thread is not None and self._cursor is not None:
            self._cursor.interrupt()
            self._thread.join()
        if self._cursor is not None:
            self._cursor.close()
        self._thread, self._cursor, self._staged, self._error = None, None, None, None
