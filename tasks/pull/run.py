"""Pull days from a helpdesk's API into `<exports>/<D>/`, then record each in `ops.pull_state`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb

from tasks.errors import BacklogError
from tasks.pull import freshdesk, jira, servicenow, zendesk
from tasks.pull.credentials import PULL_SOURCES, credentials
from tasks.pull.days import DayFolder, day_window
from tasks.pull.http import DEFAULT_MAX_SECONDS, ApiClient, MalformedPage, describe
from tasks.pull.state import record_pull

VENDORS: dict[str, ModuleType] = {
    "zendesk": zendesk,
    "freshdesk": freshdesk,
    "jira": jira,
    "servicenow": servicenow,
}


def pull_day(
    con: duckdb.DuckDBPyConnection,
    source: str,
    day: date,
    exports: Path,
    timezone: str,
    environ: Mapping[str, str],
    max_seconds: float = DEFAULT_MAX_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Pull day D of `source` into `<exports>/<D>/` whole, then commit its state; the manifest.

    The pages are written to a temporary folder renamed into place once complete; only
    then is `ops.pull_state` updated. Any failure leaves `<exports>/<D>` as it was.
    """
    if source not in VENDORS:
        raise BacklogError(
            f"`backlog pull` cannot pull {source!r}; use one of: {', '.join(PULL_SOURCES)}."
        )
    creds = credentials(source, environ)
    window = day_window(day, timezone)
    started = time.monotonic()
    client = ApiClient(
        creds.vendor,
        creds.base_url,
        auth=creds.auth,
        headers=creds.headers,
        fix_401=creds.fix_401,
        fix_403=creds.fix_403,
        max_seconds=max_seconds,
        sleep=sleep,
    )
    with client, DayFolder(exports, day) as folder:
        try:
            tally = VENDORS[source].pull(client, window, folder, creds.project)
        except MalformedPage as exc:
            raise MalformedPage(
                f"{exc}; nothing was written for {day}, so pull that day again.", exc.request
            ) from None
        manifest = {
            "source": source,
            "date": day.isoformat(),
            "timezone": timezone,
            "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
            "base_url": describe(client.base_url, "", None).rstrip("/"),  # no user info
            "requests": client.requests,
            "retries": client.retries,
            "pages": tally.pages,
            "records": tally.records,
            "records_in_window": tally.records_in_window,
            "cursor": tally.cursor,
            "rate_limit": tally.rate_limit,
            "high_water_mark": window.end.isoformat(),
            "files": sorted(folder.files),
            "folder": str(folder.final),
            "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started, 3),
        }
        folder.commit(manifest)
    record_pull(con, manifest)
    return manifest


def pull_days(
    con: duckdb.DuckDBPyConnection,
    source: str,
    days: list[date],
    exports: Path,
    timezone: str,
    environ: Mapping[str, str],
    on_day: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Pull each day in order; each is committed before the next starts (a failure keeps
    the days before it)."""
    manifests = []
    for day in days:
        manifest = pull_day(con, source, day, exports, timezone, environ)
        manifests.append(manifest)
        if on_day is not None:
            on_day(manifest)
    return manifests


def date_range(start: date, end: date) -> list[date]:
    """The days [start, end]; one sentence when the range is backwards."""
    if end < start:
        raise BacklogError(f"--end {end} is before --start {start}; swap them.")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def summary(manifest: dict[str, Any]) -> str:
    """One line saying what a day's pull got."""
    pages = ", ".join(
        f"{manifest['records'][stem]} {stem} in {count} page{'s' * (count != 1)}"
        for stem, count in manifest["pages"].items()
    )
    return (
        f"{manifest['source']} {manifest['date']}: {manifest['records_in_window']} tickets "
        f"changed that day ({pages}); {manifest['requests']} requests in "
        f"{manifest['seconds']:.1f} s -> {manifest['folder']}"
    )
