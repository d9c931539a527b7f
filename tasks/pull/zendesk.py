"""Zendesk: a day's incremental ticket export (cursor), ticket events, groups, custom statuses
and ticket fields, saved page by page as `tickets-NNNN.json`, `ticket_events-NNNN.json`, ...

Endpoints (Zendesk API reference, Incremental Exports; Groups; Custom Ticket Statuses;
Ticket Fields): the incremental endpoints allow 10 requests a minute, which the client
honours through `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from tasks.pull.days import DayFolder, Window, parse_instant
from tasks.pull.http import ApiClient
from tasks.pull.pages import Tally, items

TICKETS = "/api/v2/incremental/tickets/cursor.json"
TICKET_EVENTS = "/api/v2/incremental/ticket_events.json"
PER_PAGE = 1000  # the incremental exports' maximum
SIDE_LOADS = "metric_sets,users"
# looked up once a day beside the pages: names, not ids (groups), status categories
LOOKUPS = {
    "groups": "/api/v2/groups.json",
    "custom_statuses": "/api/v2/custom_statuses.json",
    "ticket_fields": "/api/v2/ticket_fields.json",
}
LOOKUP_PAGE = 100


def pull(client: ApiClient, window: Window, folder: DayFolder, project: str | None) -> Tally:
    """Tickets changed in the window (pages until one ends past it), their events, lookups."""
    del project
    tally = Tally()
    _tickets(client, window, folder, tally)
    _events(client, window, folder, tally)
    for stem, path in LOOKUPS.items():
        _lookup(client, stem, path, folder, tally)
    return tally


def _stamp(ticket: dict[str, Any]) -> Any:
    """When the export placed a ticket: its `generated_timestamp`, else `updated_at`."""
    return ticket.get("generated_timestamp", ticket.get("updated_at"))


def _tickets(client: ApiClient, window: Window, folder: DayFolder, tally: Tally) -> None:
    params: dict[str, Any] = {
        "start_time": window.start_epoch,
        "include": SIDE_LOADS,
        "per_page": PER_PAGE,
    }
    while True:
        page = client.get(TICKETS, params)
        tickets = items(page, "tickets")
        tally.save(folder, "tickets", page, tickets)
        stamps = [parse_instant(_stamp(t)) if isinstance(t, dict) else None for t in tickets]
        tally.records_in_window += sum(window.holds(stamp) for stamp in stamps)
        tally.cursor = page.data.get("after_cursor") or tally.cursor
        past_end = any(stamp is not None and stamp >= window.end for stamp in stamps)
        if page.data.get("end_of_stream") or not tickets or past_end or not tally.cursor:
            return
        params = {"cursor": tally.cursor, "include": SIDE_LOADS, "per_page": PER_PAGE}


def _events(client: ApiClient, window: Window, folder: DayFolder, tally: Tally) -> None:
    """Time-based: each page says its `end_time`, the next page's `start_time`."""
    start = window.start_epoch
    while True:
        page = client.get(TICKET_EVENTS, {"start_time": start, "include": "comment_events"})
        events = items(page, "ticket_events")
        tally.save(folder, "ticket_events", page, events)
        end_time = page.data.get("end_time")
        if (
            page.data.get("end_of_stream")
            or not events
            or not isinstance(end_time, int)
            or end_time >= window.end_epoch
            or end_time <= start
        ):
            return
        start = end_time


def _lookup(client: ApiClient, stem: str, path: str, folder: DayFolder, tally: Tally) -> None:
    """A list endpoint with cursor pagination (`meta.has_more`, `meta.after_cursor`)."""
    params: dict[str, Any] = {"page[size]": LOOKUP_PAGE}
    while True:
        page = client.get(path, params)
        tally.save(folder, stem, page, items(page, stem))
        meta = page.data.get("meta") or {}
        if not (isinstance(meta, dict) and meta.get("has_more") and meta.get("after_cursor")):
            return
        params = {"page[size]": LOOKUP_PAGE, "page[after]": meta["after_cursor"]}
