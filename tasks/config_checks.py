"""Config values checked by the engines that will run them, when the config is read.

A regular expression is compiled by DuckDB's RE2 (the models match with it; Python's `re`
accepts look-aheads RE2 refuses), a cron by cronsim (the parser the models read the daily
cron with). A value they refuse is a config mistake said in one sentence, not a failed
model after the day has loaded, nor an unexpected error once `backlog serve` has started.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime


def check_patterns(value: list[str]) -> list[str]:
    """Regular expressions as the models run them (each as `(?:<pattern>)`), or a
    ValueError naming the first one DuckDB cannot compile."""
    bad = _first_bad_pattern(value) if value else None
    if bad is not None:
        pattern, error = bad
        # "Invalid Input Error: missing ): (?:(unclosed)": the reason, not the wrapper
        why = re.sub(r":\s*\(\?:.*$", "", error.split("Error: ", 1)[-1]).strip()
        raise ValueError(
            f'{pattern!r} is not a regular expression ("{why}"); put a backslash '
            "before ( [ * ? or another special character to match it as itself"
        )
    return value


def _first_bad_pattern(patterns: list[str]) -> tuple[str, str] | None:
    """The first pattern DuckDB cannot compile and its error (a frame of its own, so the
    config error keeps no DuckDB object alive)."""
    import duckdb  # only when the config sets patterns: the defaults compile

    with duckdb.connect() as con:
        for pattern in patterns:
            try:
                con.execute("select regexp_matches('', ?)", [f"(?:{pattern})"])
            except duckdb.Error as exc:
                return pattern, str(exc)
    return None


def check_cron(value: str, key: str) -> str:
    """A cron `backlog serve` can schedule (`key`: daily_cron or weekly_cron), or a
    ValueError saying how to write one."""
    from cronsim import CronSim, CronSimError

    if key == "weekly_cron" and value.startswith("@"):
        return value  # Prefect reads @weekly; the models read only the daily cron
    try:
        next(CronSim(value, datetime(2024, 1, 8, tzinfo=UTC)))
    except (CronSimError, ValueError, StopIteration) as exc:
        why = str(exc)[:1].lower() + str(exc)[1:]
        example = (
            '"30 6 * * 1-5" (06:30 on weekdays'
            if key == "daily_cron"
            else '"0 7 * * 1" (07:00 on Mondays'
        )
        raise ValueError(
            f"{value!r} is not a cron expression ({why}); write it as, e.g., {example}, "
            "in report_timezone)"
        ) from None
    return value
