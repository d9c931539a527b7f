"""Row-level validation of one load with Great Expectations, duplicate folding, Data Docs.

The suites live in `expectations/<entity>.json` (GX 1.x suite JSON). A load's rows
are checked in three steps, each row keeping the reason of the first it fails:
rows the reader could not split into columns (`load_records.problem`), the GX
suite (expectations with `meta.severity` `quarantine`; `warn` ones are counted and
the row loads), then duplicates inside the file, settled in SQL: exact copies fold,
otherwise the latest `updated_at` wins (SPEC section 6). A file where no row
survives is fatal.

Every GX run goes through a ValidationDefinition, and its result (without the
failing-row lists, which are in `ops.quarantine`) is kept in `ops.validation_runs`,
so `write_data_docs` can render the HTML Data Docs at any time, from the warehouse.

Importing `great_expectations` costs 2-10 s of CPU (it pulls in scipy, altair and
sqlalchemy, whatever is validated), so it happens once per process: `preload()` starts
it, with the suites' set-up, in a background thread while the caller reads and types
the files in DuckDB; the first validation waits for it (or does it, when nothing
started it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from tasks import extensions
from tasks.warehouse import SQL_DIR, read_sql

EXPECTATIONS_DIR = SQL_DIR.parent / "expectations"
ENTITIES = ("tickets", "events")
ROW_ID = "row_number"
DATA_DOCS_FOLDER = "data-docs"
DATA_DOCS_SITE = "backlog"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_ID],
    "return_unexpected_index_query": False,
    "exclude_unexpected_values": True,
}
# Parts of a GX result that list failing rows or values: left out of the stored result.
ROW_LISTS = (
    "unexpected_index_list",
    "partial_unexpected_index_list",
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "unexpected_list",
    "unexpected_index_query",
)
# Rows the reader could not split into columns (wrong number of fields, not JSON, ...).
WELL_FORMED_CHECK = "expect_rows_to_be_well_formed"
DUPLICATE_CHECK = "expect_no_duplicate_rows"
EXACT_COPY_REASON = "exact copy of another row (folded)"
# The frame each suite validates: only the columns the expectations read, and only the
# rows the reader could split into columns.
FRAME_SQL = {
    "tickets": """
        select
            row_number, ticket_id, created_at, updated_at, solved_at, first_reply_at, status,
            requester_id, priority,
            case when solved_at is null then solved_at_text end as solved_at_unparsed,
            case when first_reply_at is null then first_reply_at_text end
                as first_reply_at_unparsed,
            timestamptz '1990-01-01 00:00:00+00' as earliest_plausible_at,
            timezone(getvariable('source_timezone'), (export_date + 2)::timestamp)
                as latest_plausible_at,
        from load_typed
        order by row_number
    """,
    "events": """
        select
            row_number, event_id, ticket_id, occurred_at, kind, author_role,
            case when kind = 'status_change' then coalesce(to_value, '(missing)') end
                as status_change_to,
            timestamptz '1990-01-01 00:00:00+00' as earliest_plausible_at,
            timezone(getvariable('source_timezone'), (export_date + 2)::timestamp)
                as latest_plausible_at,
        from load_typed
        order by row_number
    """,
}
KEYS = {"tickets": "ticket_id", "events": "event_id"}


@dataclass(frozen=True)
class CheckResult:
    """One row-level check's outcome on one load."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int
    message: str = ""


@dataclass
class ValidationOutcome:
    """Rows to quarantine (row number -> reason), every check's result, a fatal message.

    `gx_result` is the suite's result as GX JSON without failing-row lists, `run_key`
    its key in a Data Docs store, `seconds` what the GX run cost.
    """

    bad_rows: dict[int, str] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    fatal: str | None = None
    rows_checked: int = 0
    gx_result: dict[str, Any] | None = None
    run_key: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_folded(self) -> int:
        """Exact copies folded: quarantined, but nothing of them is lost."""
        return sum(1 for reason in self.bad_rows.values() if reason == EXACT_COPY_REASON)


def validate_load(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    export_date: date,
    ext: extensions.Extensions = extensions.NONE,
    run_name: str | None = None,
) -> ValidationOutcome:
    """Validate one load: temp tables `load_records` (as read) and `load_typed` (cast).

    `ext` adds the extension folders' expectations. Leaves the rows to quarantine in the
    temp table `load_bad` (row_number, reason).
    """
    outcome = ValidationOutcome()
    outcome.rows_checked = con.execute("select count(*) from load_records").fetchone()[0]

    malformed = dict(
        con.execute(
            "select row_number, problem from load_records where problem is not null "
            "order by row_number"
        ).fetchall()
    )
    outcome.bad_rows.update(malformed)
    outcome.checks.append(
        CheckResult(
            WELL_FORMED_CHECK,
            "*",
            "quarantine",
            not malformed,
            len(malformed),
            "rows that cannot be split into the file's columns",
        )
    )

    frame = con.execute(_frame_sql(con, entity, ext)).df()
    if len(frame):
        _run_suite(entity, frame, export_date, run_name, outcome, ext)

    _record_bad_rows(con, outcome.bad_rows)
    superseded = f"superseded by a later row with the same {KEYS[entity]}"
    duplicates = {
        row: EXACT_COPY_REASON if is_exact_copy else superseded
        for row, is_exact_copy in con.execute(
            read_sql(f"ingest/duplicates__{entity}.sql")
        ).fetchall()
    }
    outcome.checks.append(
        CheckResult(
            DUPLICATE_CHECK,
            KEYS[entity],
            "quarantine",
            not duplicates,
            len(duplicates),
            f"rows repeating a {KEYS[entity]} (exact copies folded, else the latest row kept)",
        )
    )
    outcome.bad_rows.update(duplicates)
    _record_bad_rows(con, outcome.bad_rows)

    total = outcome.rows_checked
    if total and len(outcome.bad_rows) == total:
        counts = Counter(_kind(reason) for reason in outcome.bad_rows.values()).most_common(3)
        reasons = "; ".join(f"{reason}: {n} of {total}" for reason, n in counts)
        outcome.fatal = f"not one of its {total} rows can be loaded ({reasons})"
    return outcome


def _kind(reason: str) -> str:
    """A quarantine reason without its per-row details in parentheses (lines, bytes)."""
    return re.sub(r"\s*\([^)]*\)", "", reason)


def _run_suite(
    entity: str,
    frame: Any,
    export_date: date,
    run_name: str | None,
    outcome: ValidationOutcome,
    ext: extensions.Extensions,
) -> None:
    """Run the entity's GX suite on `frame`; add its checks and quarantined rows."""
    gx_runner = _gx(_extension_files(ext), ext)
    started = time.perf_counter()
    result, run_key = gx_runner.validate(entity, frame, run_name or f"{export_date}_{entity}")
    outcome.seconds = time.perf_counter() - started
    outcome.run_key = run_key
    for item in result.results:
        config = item.expectation_config
        meta = config.meta or {}
        severity = meta.get("severity", "quarantine")
        error = _exception_message(item.exception_info)
        if error:
            raise RuntimeError(f"expectation {config.type} could not run: {error}")
        rows = _failing_rows(item.result.get("unexpected_index_list") or [])
        column = _columns(config)
        reason = _reason(config)
        outcome.checks.append(
            CheckResult(config.type, column, severity, bool(item.success), len(rows), reason)
        )
        if severity == "quarantine":
            for row in rows:
                outcome.bad_rows.setdefault(row, reason)
    outcome.gx_result = _without_row_lists(result)


def _columns(config: Any) -> str:
    """The columns an expectation reads, its identity in a suite with its type."""
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    return ",".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)


def _reason(config: Any) -> str:
    meta = config.meta or {}
    if "reason" in meta:
        return str(meta["reason"])
    return f"{_columns(config)} fails {config.type}"


def _failing_rows(index_list: list[dict[str, Any]]) -> list[int]:
    """Row numbers from GX's index list (one id per entry, or grouped in a list)."""
    rows: set[int] = set()
    for entry in index_list:
        value = entry[ROW_ID]
        rows.update(int(v) for v in value) if isinstance(value, list) else rows.add(int(value))
    return sorted(rows)


def _exception_message(info: Any) -> str | None:
    """The message of an expectation that raised, also when GX nests it per metric."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        nested = _exception_message(value)
        if nested:
            return nested
    return None


def _without_row_lists(result: Any) -> dict[str, Any]:
    """A GX suite result as JSON, counts kept, lists of failing rows and values dropped.

    The lists are dropped from the result before it is turned into JSON: with many
    failing rows, serialising them (to throw them away) cost more than the validation.
    """
    for item in result.results:
        for name in ROW_LISTS:
            (item.result or {}).pop(name, None)
    return result.to_json_dict()


def _record_bad_rows(con: duckdb.DuckDBPyConnection, bad_rows: dict[int, str]) -> None:
    """Keep the temp table `load_bad` equal to `bad_rows` (read by SQL and by ingest)."""
    con.execute(
        "create or replace temp table load_bad (row_number bigint primary key, reason varchar)"
    )
    if bad_rows:
        import pandas as pd

        rows = sorted(bad_rows.items())
        frame = pd.DataFrame(
            {"row_number": [r for r, _ in rows], "reason": [reason for _, reason in rows]}
        )
        con.register("load_bad_frame", frame)
        try:
            con.execute("insert into load_bad select row_number, reason from load_bad_frame")
        finally:
            con.unregister("load_bad_frame")


def _ephemeral_context() -> Any:
    """An in-memory GX context: no analytics, no progress bars, no temporary docs site."""
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


def load_suite(entity: str, ext: extensions.Extensions = extensions.NONE) -> Any:
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


def _extension_files(ext: extensions.Extensions) -> tuple[Path, ...]:
    """The extension expectation files: the GX set-up is cached per set of files."""
    return tuple(path for entity in ENTITIES for path in ext.expectation_files(entity))


def _frame_sql(con: duckdb.DuckDBPyConnection, entity: str, ext: extensions.Extensions) -> str:
    """The suite's frame, plus the `load_typed` columns that extension expectations read."""
    wanted = {
        str(kwargs[key])
        for item in ext.expectations(entity)
        for kwargs in [item.get("kwargs", {})]
        for key in ("column", "column_A", "column_B")
        if key in kwargs
    } | {
        str(column)
        for item in ext.expectations(entity)
        for column in item.get("kwargs", {}).get("column_list", [])
    }
    if not wanted:
        return FRAME_SQL[entity]
    typed = {row[0] for row in con.execute("describe load_typed").fetchall()}
    base = {row[0] for row in con.execute(f"describe {FRAME_SQL[entity]}").fetchall()}
    extra = sorted(column for column in wanted if column in typed and column not in base)
    if not extra:
        return FRAME_SQL[entity]
    columns = ", ".join(f'typed."{column}"' for column in extra)
    return (
        f"select frame.*, {columns} from ({FRAME_SQL[entity]}) as frame "
        "inner join load_typed as typed using (row_number) order by row_number"
    )


class _Gx:
    """One GX context with a pandas data source, a suite and a ValidationDefinition per entity.

    Each run goes through the entity's ValidationDefinition (so its result carries what
    Data Docs render); the in-memory result store is emptied right after, so a long
    backfill does not grow it.
    """

    def __init__(self, ext: extensions.Extensions) -> None:
        import great_expectations as gx

        self.context = _ephemeral_context()
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


_SET_UPS: dict[tuple[Path, ...], _SetUp] = {}
_SET_UPS_LOCK = threading.Lock()


def _set_up(extension_files: tuple[Path, ...]) -> _SetUp:
    with _SET_UPS_LOCK:
        return _SET_UPS.setdefault(extension_files, _SetUp())


def _gx(extension_files: tuple[Path, ...], ext: extensions.Extensions) -> _Gx:
    """One GX set-up per process and set of extension expectation files.

    Waits while `preload` is building it in its thread; builds it when nothing did.
    """
    set_up = _set_up(extension_files)
    with set_up.lock:
        if set_up.gx is None:
            set_up.gx = _Gx(ext)
        return set_up.gx


def preload(ext: extensions.Extensions = extensions.NONE) -> threading.Thread | None:
    """Import GX and set up the suites (with `ext`'s expectations) in a background thread.

    Returns at once, with the thread (None when the set-up is built or being built).
    Call it early (at process start, or when a load begins): the import then overlaps
    with other work instead of adding to it, and the first validation waits for it.
    Once per process and set of extension files; a failure there is left to the first
    validation, which sets up again and raises in its own thread.
    """
    set_up = _set_up(_extension_files(ext))
    with _SET_UPS_LOCK:
        if set_up.gx is not None or set_up.preloading:
            return None
        set_up.preloading = True
    set_up.lock.acquire()  # released by the thread once built: `_gx` waits until then
    thread = threading.Thread(target=_preload, args=(set_up, ext), name="gx-preload")
    try:
        thread.start()
    except BaseException:
        set_up.lock.release()
        raise
    return thread


def _preload(set_up: _SetUp, ext: extensions.Extensions) -> None:
    try:
        # On failure the first validation sets up again, in its own thread, and says why.
        with contextlib.suppress(Exception):
            if set_up.gx is None:
                set_up.gx = _Gx(ext)
    finally:
        set_up.lock.release()


def store_run(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    export_date: date,
    entity: str,
    outcome: ValidationOutcome,
) -> None:
    """Keep a load's GX result in `ops.validation_runs` for the Data Docs."""
    if outcome.gx_result is None or not outcome.run_key:
        return
    con.execute(
        "insert or replace into ops.validation_runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            export_date,
            entity,
            outcome.run_key,
            bool(outcome.gx_result.get("success")),
            outcome.seconds,
            json.dumps(outcome.gx_result, ensure_ascii=False, allow_nan=False, default=str),
        ],
    )


def write_data_docs(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    days: Iterable[date] | None = None,
    ext: extensions.Extensions = extensions.NONE,
) -> Path:
    """Render the GX Data Docs (HTML) into `<out_dir>/data-docs/`; the index page's path.

    Pages are (re)built for the validation runs of `days` (every stored run when None)
    and the suites (with `ext`'s expectations); the index lists every run with a page in
    the folder that is still in `ops.validation_runs` (a replaced load's page is removed).
    """
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    docs_dir = (out_dir / DATA_DOCS_FOLDER).resolve()
    wanted = None if days is None else set(days)
    context = _ephemeral_context()
    for entity in ENTITIES:
        context.suites.add(load_suite(entity, ext))
    store = context.validation_results_store
    schema = ExpectationSuiteValidationResultSchema()
    to_build: list[Any] = [ExpectationSuiteIdentifier(name=entity) for entity in ENTITIES]
    for export_date, run_key, result in con.execute(
        "select export_date, run_key, result from ops.validation_runs order by export_date, load_id"
    ).fetchall():
        build = wanted is None or export_date in wanted
        if not build and not _page(docs_dir, run_key).is_file():
            continue
        key = ValidationResultIdentifier.from_tuple(tuple(run_key))
        loaded = schema.load(json.loads(result))
        if isinstance(loaded, dict):
            loaded = ExpectationSuiteValidationResult(**loaded)
        store.set(key, loaded)
        if build:
            to_build.append(key)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "show_how_to_buttons": False,
        },
    )
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=to_build)
    return docs_dir / "index.html"


def _page(docs_dir: Path, run_key: list[str]) -> Path:
    """Where the Data Docs page of one stored run is written."""
    suite, run_name, run_time, batch = run_key
    return docs_dir / "validations" / suite / run_name / run_time / f"{batch}.html"


def suite_path(entity: str) -> Path:
    """Where an entity's suite is kept."""
    return EXPECTATIONS_DIR / f"{entity}.json"
