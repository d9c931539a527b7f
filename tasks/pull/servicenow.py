"""ServiceNow: a day's incidents and their state changes, saved page by page as
`incident-NNNN.json`, `sys_audit-NNNN.json` and `incident_numbers-NNNN.json`.

Endpoints (ServiceNow REST API reference, Table API `GET /api/now/table/{tableName}`):
`sysparm_query` (an encoded query), `sysparm_limit` / `sysparm_offset` pages, a `Link`
header with rel="next" while more remain. `sysparm_display_value=all` answers every
field as `{"value", "display_value"}`: the stored value (UTC times, codes) and the name
a person reads (the assignment group's name). The window is written as the stored UTC
values (`YYYY-MM-DD HH:MM:SS`).

Status history comes from `sys_audit` (tablename=incident, fieldname=state): one row
per change with the old and the new state and when, for every incident, audited by
default. `metric_instance` holds a duration per value only where a state metric
definition was set up, and no previous value; see DECISIONLOG. Audit rows name the
incident by sys_id: those of incidents not in the day's pages are looked up
(`sys_idIN...`, number only) so every event carries the incident's number.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tasks.pull.days import DayFolder, Window
from tasks.pull.http import ApiClient, Page
from tasks.pull.pages import Tally, items

INCIDENTS = "/api/now/table/incident"
AUDIT = "/api/now/table/sys_audit"
PER_PAGE = 1000
LOOKUP_BATCH = 100


def _stamp(window: Window) -> tuple[str, str]:
    fmt = "%Y-%m-%d %H:%M:%S"
    return window.start.astimezone(UTC).strftime(fmt), window.end.astimezone(UTC).strftime(fmt)


def pull(client: ApiClient, window: Window, folder: DayFolder, project: str | None) -> Tally:
    """Incidents updated in the window, the window's state audits, numbers of the rest."""
    del project
    tally = Tally()
    start, end = _stamp(window)
    incidents = _pages(
        client,
        folder,
        tally,
        "incident",
        INCIDENTS,
        {
            "sysparm_query": f"sys_updated_on>={start}^sys_updated_on<{end}"
            "^ORDERBYsys_updated_on^ORDERBYsys_id",
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
        },
    )
    tally.records_in_window = len(incidents)
    audits = _pages(
        client,
        folder,
        tally,
        "sys_audit",
        AUDIT,
        {
            "sysparm_query": f"tablename=incident^fieldname=state^sys_created_on>={start}"
            f"^sys_created_on<{end}^ORDERBYsys_created_on^ORDERBYsys_id",
            "sysparm_fields": "sys_id,documentkey,fieldname,oldvalue,newvalue,sys_created_on,"
            "sys_created_by,user",
        },
    )
    known = {_value(item.get("sys_id")) for item in incidents if isinstance(item, dict)}
    missing = sorted({a.get("documentkey") for a in audits if isinstance(a, dict)} - known - {None})
    for first in range(0, len(missing), LOOKUP_BATCH):
        batch = ",".join(missing[first : first + LOOKUP_BATCH])
        _pages(
            client,
            folder,
            tally,
            "incident_numbers",
            INCIDENTS,
            {"sysparm_query": f"sys_idIN{batch}", "sysparm_fields": "sys_id,number"},
        )
    tally.cursor = f"sys_updated_on<{end}"
    return tally


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field


def _pages(
    client: ApiClient,
    folder: DayFolder,
    tally: Tally,
    stem: str,
    path: str,
    params: dict[str, Any],
) -> list[Any]:
    """Every page of one Table API query (offset paging); the records."""
    found: list[Any] = []
    offset = 0
    while True:
        page = client.get(path, {**params, "sysparm_limit": PER_PAGE, "sysparm_offset": offset})
        records = items(page, "result")
        tally.save(folder, stem, page, records)
        found.extend(records)
        if not records or not _has_next(page, len(records)):
            return found
        offset += len(records)


def _has_next(page: Page, count: int) -> bool:
    link = {k.lower(): v for k, v in page.headers.items()}.get("link")
    if link is not None:
        return 'rel="next"' in link
    return count >= PER_PAGE
