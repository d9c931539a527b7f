"""The GX suites and their set-up: suite files, an in-memory context, the runner a caller owns.

Importing `great_expectations` costs 2-10 s of CPU (it pulls in scipy, altair and
sqlalchemy, whatever is validated), so a run creates one `SuiteRunner` and keeps it:
`SuiteRunner.preload()` starts the import and the suites' set-up in a background
thread while the caller reads and types the files in DuckDB; the first validation
waits for it (or does it, when nothing started it). The runner holds one set-up per
set of extension expectation files; nothing is kept at module level.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.contract import ENTITIES
from tasks.extensions import NONE, Extensions
from tasks.warehouse import SQL_DIR

EXPECTATIONS_DIR = SQL_DIR.parent / "expectations"
ROW_ID = "row_number"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_ID],
    "return_unexpected_index_query": False,
    "exclude_unexpected_values": True,
}


def suite_path(entity: str) -> Path:
    """Where an entity's suite is kept."""
    return EXPECTATIONS_DIR / f"{entity}.json"


def ephemeral_context() -> Any:
    """An in-memory GX context: no analytics, no progress bars, no temporary docs site."""
    # GX reads this when it is imported: set here, where GX is first imported, not at ours.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def load_suite(entity: str, ext: Extensions = NONE) -> Any:
    """The entity's suite, read from its JSON file, plus the extensions' expectations.

    Extension expectations (`expectations/<entity>/*.json` in an extension folder,
    if any) are appended after the shipped ones.
    """
    import great_expectations as gx

    suite = json.loads(suite_path(entity).read_text("utf-8"))
    suite["expectations"] = [
        *suite.get("expectations", []),
        *ext.expectations(entity),
    ]
    return gx.ExpectationSuite(**suite)


def extension_files(ext: Extensions) -> tuple[Path, ...]:
    """The extension expectation files: the GX set-up is built once per set of files."""
    return tuple(path for entity in ENTITIES for path in ext.expectation_files(entity))


class _Gx:
    """One GX context with a pandas data source, a suite and a ValidationDefinition per entity.

    Each run goes through the entity's ValidationDefinition (so its result carries what
    Data Docs render); the in-memory result store is emptied right after, so a long
    backfill does not grow it.
    """

    def __init__(self, ext: Extensions) -> None:
        import great_expectations as gx

        self.context = ephemeral_context()
        # A run's result goes to the context's (in-memory) result store, and `validate`
        # takes it out again at once: only its key is used. Storing serialises the
        # whole result, failing-row indexes included (seconds on a day with many bad
        # rows), so this store keeps a placeholder instead of the serialised result.
        self.context.validation_results_store.serialize = _placeholder
        source = self.context.data_sources.add_pandas("loads")
        self.definitions = {}
        for entity in ENTITIES:
            batch = source.add_dataframe_asset(entity).add_batch_definition_whole_dataframe("load")
            suite = self.context.suites.add(load_suite(entity, ext))
            self.definitions[entity] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=entity, data=batch, suite=suite)
            )

    def validate(self, entity: str, frame: Any, run_name: str) -> tuple[Any, list[str]]:
        """Run the entity's suite on `frame`: GX's result and its key in the result store."""
        import pandas as pd
        from great_expectations.core.run_identifier import RunIdentifier

        store = self.context.validation_results_store
        before = set(store.list_keys())
        with warnings.catch_warnings():
            # GX's column-pair checks read tz-aware Series.values; pandas 3.1 warns, and a
            # warning turned into an error would make GX report the check as failed
            # with no rows.
            warnings.filterwarnings(
                "ignore", "Series.values returning an ndarray", pd.errors.Pandas4Warning
            )
            result = self.definitions[entity].run(
                # Row numbers as the frame's index: GX then lists a check's failing rows
                # straight from the index, instead of looking each one up in a column.
                batch_parameters={"dataframe": frame.set_index(ROW_ID)},
                result_format=dict(RESULT_FORMAT),
                run_id=RunIdentifier(run_name=run_name, run_time=datetime.now(UTC)),
            )
        added = [key for key in store.list_keys() if key not in before]
        for key in added:
            store.remove_key(key)
        return result, list(added[0].to_tuple()) if added else []


def _placeholder(value: Any) -> str:
    """What the in-memory result store keeps of a run (see `_Gx.__init__`)."""
    return "{}"


@dataclass
class _SetUp:
    """The GX set-up of one set of extension expectation files, built once."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    gx: _Gx | None = None
    preloading: bool = False


class SuiteRunner:
    """The GX set-ups of a flow run (or a process): built once, maybe in the background.

    Create one per run and pass it to every load of the run (`tasks.ingest.load_day`):
    GX is then imported and set up once, and `preload` overlaps that with other work.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set_ups: dict[tuple[Path, ...], _SetUp] = {}

    def _set_up(self, ext: Extensions) -> _SetUp:
        """The (maybe not yet built) set-up of `ext`'s expectation files."""
        with self._lock:
            return self._set_ups.setdefault(extension_files(ext), _SetUp())

    def gx(self, ext: Extensions = NONE) -> _Gx:
        """The set-up of `ext`'s expectation files; waits while `preload` builds it.

        Builds it here when nothing did (or when the preload failed).
        """
        set_up = self._set_up(ext)
        with set_up.lock:
            if set_up.gx is None:
                set_up.gx = _Gx(ext)
            return set_up.gx

    def preload(self, ext: Extensions = NONE) -> threading.Thread | None:
        """Import GX and set up the suites (with `ext`'s expectations) in a background thread.

        Returns at once, with the thread (None when the set-up is built or being built).
        Call it early (at process start, or when a load begins): the import then overlaps
        with other work instead of adding to it, and the first validation waits for it.
        A failure there is left to the first validation, which sets up again and raises
        in its own thread.
        """
        set_up = self._set_up(ext)
        with self._lock:
            if set_up.gx is not None or set_up.preloading:
                return None
            set_up.preloading = True
        set_up.lock.acquire()  # released by the thread once built: `gx` waits until then
        # GX imports requests, which silences urllib3's warning that SOCKS proxies need
        # PySocks while it imports; in this thread a `warnings.catch_warnings()` ending in
        # another can drop that filter mid-import, and the warning then reached the run's
        # log and stderr (seen in `backlog demo`). The same filter, set before the thread.
        warnings.filterwarnings("ignore", "SOCKS support in urllib3 requires")
        thread = threading.Thread(
            target=_preload, args=(set_up, ext), name="gx-preload", daemon=True
        )
        try:
            thread.start()
        except BaseException:
            set_up.lock.release()
            raise
        return thread


def _preload(set_up: _SetUp, ext: Extensions) -> None:
    """The preload thread: build the set-up, then let the waiting validation have it."""
    try:
        # On failure the first validation sets up again, in its own thread, and says why.
        with contextlib.suppress(Exception):
            if set_up.gx is None:
                set_up.gx = _Gx(ext)
    finally:
        set_up.lock.release()
