"""Data quality: GX validation of each load, file and day checks, Data Docs, the day's status.

`suites` (the GX suites and the `SuiteRunner` a run owns), `rows` (row-level
validation: malformed rows, the suite, duplicates), `frames` (the frames the suites
read, a batch's built in DuckDB), `checks` (file and day checks, the
failure ledger), `status` (the day's ok/warn/fail for the digest and the review),
`docs` (the HTML Data Docs), `repairs` (NUL bytes and clock skew fixed in place, counted
as warnings). The names below are the package's public face.
"""

from tasks.quality.checks import (
    FileLoad,
    QualityCheck,
    clear_load_failure,
    file_checks,
    record_checks,
    record_load_failure,
    record_missing_day,
    volume_checks,
)
from tasks.quality.docs import write_data_docs
from tasks.quality.repairs import clamp_clock_skew, strip_nul_bytes
from tasks.quality.rows import (
    LoadToValidate,
    StoredRun,
    ValidationOutcome,
    store_run,
    store_runs,
    validate_load,
    validate_loads,
)
from tasks.quality.status import (
    data_quality_for_day,
    day_has_failed,
    day_is_complete,
    failure_reason,
    gap_caveat,
    gap_figures,
    gap_sentence,
    history_gaps,
    incomplete_days,
    last_complete_day,
    stale_open_tickets,
)
from tasks.quality.suites import SuiteRunner, load_suite, suite_path

__all__ = [
    "FileLoad",
    "LoadToValidate",
    "QualityCheck",
    "StoredRun",
    "SuiteRunner",
    "ValidationOutcome",
    "clamp_clock_skew",
    "clear_load_failure",
    "data_quality_for_day",
    "day_has_failed",
    "day_is_complete",
    "failure_reason",
    "file_checks",
    "gap_caveat",
    "gap_figures",
    "gap_sentence",
    "history_gaps",
    "incomplete_days",
    "last_complete_day",
    "load_suite",
    "record_checks",
    "record_load_failure",
    "record_missing_day",
    "stale_open_tickets",
    "store_run",
    "store_runs",
    "strip_nul_bytes",
    "suite_path",
    "validate_load",
    "validate_loads",
    "volume_checks",
    "write_data_docs",
]
