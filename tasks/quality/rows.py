"""Row-level validation of loads: malformed rows, the GX suite, duplicates; the runs kept.

A load's rows are checked in three steps, each row keeping the reason of the first it
fails: rows the reader could not split into columns (`load_records.problem`), the GX
suite (expectations with `meta.severity` `quarantine`; `warn` ones are counted and the
row loads), then duplicates inside the file, settled in SQL: exact copies fold,
otherwise the latest `updated_at` wins (docs/data-quality.md). A file where no row survives
is fatal. The loads of a batch go to the suite in one GX run per entity, split back per
load (`validate_loads`). Every GX run goes through a ValidationDefinition, and its result (without
the failing-row lists, which are in `ops.quarantine`) is kept in
`ops.validation_runs`, so the Data Docs can be rendered at any time from the warehouse.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from tasks.contract import KEYS
from tasks.extensions import NONE, Extensions
from tasks.quality.frames import LOAD_BITS, drop_frame, frame_sql, group_frame, park_frame
from tasks.quality.suites import ROW_ID, SuiteRunner
from tasks.warehouse import read_sql

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
    ext: Extensions = NONE,
    run_name: str | None = None,
    *,
    runner: SuiteRunner,
    source_timezone: str,
) -> ValidationOutcome:
    """Validate one load: temp tables `load_records` (as read) and `load_typed` (cast).

    `ext` adds the extension folders' expectations; `runner` holds the run's GX set-up;
    `source_timezone` places the plausible-instant bound. Leaves the rows to quarantine
    in the temp table `load_bad` (row_number, reason).
    """
    load = LoadToValidate(entity, export_date, "", run_name or f"{export_date}_{entity}")
    outcomes, _ = validate_loads(
        con, [load], ext, runner=runner, source_timezone=source_timezone, use=_as_is
    )
    return outcomes[0]


@dataclass(frozen=True)
class LoadToValidate:
    """One load of a batch: what it holds, the id its GX run is stored under, its run name."""

    entity: str
    export_date: date
    load_id: str
    run_name: str


@dataclass(frozen=True)
class StoredRun:
    """One GX run to keep in `ops.validation_runs`: it may cover several loads of a batch."""

    load_id: str
    export_date: date
    entity: str
    run_key: list[str]
    gx_result: dict[str, Any]
    seconds: float


def validate_loads(
    con: duckdb.DuckDBPyConnection,
    loads: list[LoadToValidate],
    ext: Extensions = NONE,
    *,
    runner: SuiteRunner,
    source_timezone: str,
    use: Callable[[int], AbstractContextManager[Any]],
) -> tuple[list[ValidationOutcome], list[StoredRun]]:
    """Validate a batch of loads with one GX run per entity; each load's own outcome.

    `use(i)` puts load i's temp tables under the names `load_records` and `load_typed`
    for the time of a `with`; each load is left with its `load_bad`. Rows of every
    load of an entity go to the suite in one frame (the frame's index tells the loads
    apart), and each expectation's failing rows are split back per load, so every load
    gets the checks and quarantined rows it would get validated alone. Loads whose
    frames differ in columns (an extension's expectations read a column one file
    lacks), or a suite whose verdicts cannot be split per row (a table-level or a
    `mostly` expectation), are run one load at a time.
    """
    outcomes = [ValidationOutcome() for _ in loads]
    parameters = {"source_timezone": source_timezone}
    runs: list[StoredRun] = []
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    try:
        for index, load in enumerate(loads):
            with use(index):
                _check_malformed(con, outcomes[index])
                sql = frame_sql(con, load.entity, ext, parameters)
                columns = park_frame(con, index, sql, parameters)
            if columns is not None:
                groups.setdefault((load.entity, columns), []).append(index)
        for (entity, _), members in groups.items():
            frame = group_frame(con, entity, members, ext)
            runs += _run_group(runner, entity, members, loads, frame, outcomes, ext)
            del frame
    finally:
        for members in groups.values():
            for index in members:
                drop_frame(con, index)
    for index, load in enumerate(loads):
        with use(index):
            _check_duplicates(con, load.entity, outcomes[index])
    return outcomes, runs


def _as_is(index: int) -> AbstractContextManager[Any]:
    """A batch of one load whose temp tables already carry their names."""
    return nullcontext()


def _check_malformed(con: duckdb.DuckDBPyConnection, outcome: ValidationOutcome) -> None:
    """Rows the reader could not split into columns: the first check of a load."""
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


def _check_duplicates(
    con: duckdb.DuckDBPyConnection, entity: str, outcome: ValidationOutcome
) -> None:
    """Duplicates inside the load (after the suite), `load_bad`, and a load with no row left."""
    _record_bad_rows(con, outcome.bad_rows)
    superseded = f"superseded by a later row with the same {KEYS[entity]}"
    duplicates = {
        row: EXACT_COPY_REASON if is_exact_copy else superseded
        for row, is_exact_copy in con.execute(
            read_sql(f"queries/ingest/duplicates__{entity}.sql")
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
        reasons = "; ".join(f"{reason}: {n:,} of {total:,}" for reason, n in counts)
        outcome.fatal = f"not one of its {total:,} rows can be loaded ({reasons})"


def _run_group(
    runner: SuiteRunner,
    entity: str,
    members: list[int],
    loads: list[LoadToValidate],
    frame: Any,
    outcomes: list[ValidationOutcome],
    ext: Extensions,
) -> list[StoredRun]:
    """One GX run over `frame`, the rows of `members` (loads of one entity), split per load.

    Member n's rows carry n in the index's bits above `LOAD_BITS`. Falls back to a run per
    load when the suite's verdicts are not per row.
    """
    if len(members) == 1:
        (index,) = members
        load = loads[index]
        result, run_key, seconds = _validate(runner, ext, entity, frame, load.run_name)
        _add_checks(result, {index: _failing_rows(result)}, outcomes, single=True)
        return _stored(
            load.load_id, load.export_date, entity, run_key, result, seconds, outcomes, [index]
        )
    first, last = loads[members[0]], loads[members[-1]]
    run_name = f"{first.export_date}_{last.export_date}_{entity}_batch"
    result, run_key, seconds = _validate(runner, ext, entity, frame, run_name)
    if not _per_row(result):
        runs: list[StoredRun] = []
        load_of = frame[ROW_ID] // (1 << LOAD_BITS)  # row ids are not negative
        for n, index in enumerate(members):
            alone = frame[load_of == n].copy()
            alone[ROW_ID] -= n << LOAD_BITS
            runs += _run_group(runner, entity, [index], loads, alone, outcomes, ext)
        return runs
    split: dict[int, dict[int, list[int]]] = {index: {} for index in members}
    for position, item in enumerate(result.results):
        for row in _failing_rows_of(item):
            index = members[row >> LOAD_BITS]
            split[index].setdefault(position, []).append(row & ((1 << LOAD_BITS) - 1))
    _add_checks(result, split, outcomes, single=False)
    digest = hashlib.sha256(" ".join(loads[i].load_id for i in members).encode()).hexdigest()
    run_id = f"{first.export_date}..{last.export_date}/{entity}/batch-{digest[:16]}"
    return _stored(run_id, last.export_date, entity, run_key, result, seconds, outcomes, members)


def _validate(
    runner: SuiteRunner, ext: Extensions, entity: str, frame: Any, run_name: str
) -> tuple[Any, list[str], float]:
    """Run the entity's suite on `frame`: GX's result, its run key and the seconds it took."""
    gx_runner = runner.gx(ext)
    started = time.perf_counter()
    result, run_key = gx_runner.validate(entity, frame, run_name)
    seconds = time.perf_counter() - started
    for item in result.results:
        error = _exception_message(item.exception_info)
        if error:
            raise RuntimeError(f"expectation {item.expectation_config.type} could not run: {error}")
    return result, run_key, seconds


def _per_row(result: Any) -> bool:
    """Whether every expectation's verdict is its failing rows (so it splits per load)."""
    return all(
        "unexpected_index_list" in (item.result or {})
        and (item.expectation_config.kwargs.get("mostly") in (None, 1, 1.0))
        for item in result.results
    )


def _add_checks(
    result: Any,
    split: dict[int, Any],
    outcomes: list[ValidationOutcome],
    *,
    single: bool,
) -> None:
    """Each load's checks and quarantined rows from the suite's result.

    `split` maps a load to its failing rows per expectation position (`single`: one
    load, the result is its own and `split` holds the failing rows per position).
    """
    for index, failing in split.items():
        outcome = outcomes[index]
        for position, item in enumerate(result.results):
            config = item.expectation_config
            meta = config.meta or {}
            severity = meta.get("severity", "quarantine")
            rows = sorted(failing.get(position, []))
            success = bool(item.success) if single else not rows
            reason = _reason(config)
            outcome.checks.append(
                CheckResult(config.type, _columns(config), severity, success, len(rows), reason)
            )
            if severity == "quarantine":
                for row in rows:
                    outcome.bad_rows.setdefault(row, reason)


def _stored(
    run_id: str,
    export_date: date,
    entity: str,
    run_key: list[str],
    result: Any,
    seconds: float,
    outcomes: list[ValidationOutcome],
    members: list[int],
) -> list[StoredRun]:
    """The run to keep (failing-row lists dropped); its share of the time to each load."""
    for index in members:
        outcomes[index].seconds = seconds / len(members)
        outcomes[index].run_key = run_key
    gx_result = _without_row_lists(result)
    for index in members:
        outcomes[index].gx_result = gx_result
    if not run_key:
        return []
    return [StoredRun(run_id, export_date, entity, run_key, gx_result, seconds)]


def _kind(reason: str) -> str:
    """A quarantine reason without its per-row details in parentheses (lines, bytes)."""
    return re.sub(r"\s*\([^)]*\)", "", reason)


def _columns(config: Any) -> str:
    """The columns an expectation reads, its identity in a suite with its type."""
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    return ",".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)


def _reason(config: Any) -> str:
    """Why a row failing this expectation is set aside: its meta.reason, or a default."""
    meta = config.meta or {}
    if "reason" in meta:
        return str(meta["reason"])
    return f"{_columns(config)} fails {config.type}"


def _failing_rows(result: Any) -> dict[int, list[int]]:
    """A one-load result's failing rows per expectation position."""
    return {position: _failing_rows_of(item) for position, item in enumerate(result.results)}


def _failing_rows_of(item: Any) -> list[int]:
    """Row ids from GX's index list of one expectation (one id per entry, or a list)."""
    rows: set[int] = set()
    for entry in (item.result or {}).get("unexpected_index_list") or []:
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


def store_runs(con: duckdb.DuckDBPyConnection, runs: list[StoredRun]) -> None:
    """Keep a batch's GX runs in `ops.validation_runs` for the Data Docs."""
    con.executemany(
        "insert or replace into ops.validation_runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run.load_id,
                run.export_date,
                run.entity,
                run.run_key,
                bool(run.gx_result.get("success")),
                run.seconds,
                json.dumps(run.gx_result, ensure_ascii=False, allow_nan=False, default=str),
            ]
            for run in runs
        ],
    )
