"""Freshdesk: a day's tickets (`/api/v2/tickets?updated_since=...`, with stats), groups and
ticket fields, saved page by page as `tickets-NNNN.json`, `groups-NNNN.json`, ...

Endpoints (Freshdesk API v2 reference, List All Tickets; Groups; Ticket Fields): pages
of at most 100 (`per_page`), a `Link: <...>; rel="next"` header while more remain, and
the `X-RateLimit-Total/-Remaining/-Used-CurrentRequest` headers, whose last values the
manifest keeps. `include=stats` gives the first response, resolved and closed times,
so conversations (one request per ticket) are not pulled.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tasks.pull.days import DayFolder, Window, parse_instant
from tasks.pull.http import ApiClient, Page
from tasks.pull.pages import Tally, items

TICKETS = "/api/v2/tickets"
PER_PAGE = 100  # Freshdesk's maximum
LOOKUPS = {"groups": "/api/v2/groups", "ticket_fields": "/api/v2/ticket_fields"}
RATE_HEADERS = ("x-ratelimit-total", "x-ratelimit-remaining", "x-ratelimit-used-currentrequest")


def pull(client: ApiClient, window: Window, folder: DayFolder, project: str | None) -> Tally:
    """Tickets updated since D 00:00, oldest change first, until a page ends past D."""
    del project
    tally = Tally()
    since = window.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page_number = 1
    while True:
        page = client.get(
            TICKETS,
            {
                "updated_since": since,
                "order_by": "updated_at",
                "order_type": "asc",
                "include": "stats",
                "per_page": PER_PAGE,
                "page": page_number,
            },
        )
        tickets = items(page, None)
        tally.save(folder, "tickets", page, tickets)
        _rate(tally, page)
        stamps = [
            parse_instant(t.get("updated_at")) if isinstance(t, dict) else None for t in tickets
        ]
        tally.records_in_window += sum(window.holds(stamp) for stamp in stamps)
        past_end = any(stamp is not None and stamp >= window.end for stamp in stamps)
        if not tickets or past_end or not _has_next(page):
            break
        page_number += 1
    tally.cursor = f"updated_since={since}&page={page_number}"
    for stem, path in LOOKUPS.items():
        number = 1
        while True:
            page = client.get(path, {"per_page": PER_PAGE, "page": number})
            tally.save(folder, stem, page, items(page, None))
            if not _has_next(page):
                break
            number += 1
    return tally


def _has_next(page: Page) -> bool:
    """Freshdesk says a next page exists with a `Link` header of rel="next"."""
    link = {k.lower(): v for k, v in page.headers.items()}.get("link", "")
    return 'rel="next"' in link


def _rate(tally: Tally, page: Page) -> None:
    """The rate-limit headers of the last page, for the manifest."""
    headers = {k.lower(): v for k, v in page.headers.items()}
    found: dict[str, Any] = {name: headers[name] for name in RATE_HEADERS if name in headers}
    if found:
        tally.rate_limit = found
