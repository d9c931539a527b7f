"""A fake Zendesk API (incremental exports, groups, custom statuses, ticket fields) and a
synthetic account to serve, shaped as Zendesk's API reference documents its responses."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.support.fake_helpdesk import FakeApi, basic

EMAIL, TOKEN = "lead@example.com", "zd-fake-token-5c3f9e"
GROUPS = [(30, "Billing"), (31, "Tier 2 Support"), (32, "Onboarding")]
STATUSES = [(11, "open", "Working on it"), (12, "pending", "Waiting on customer")]
AGENTS = (900, 901, 902)


@dataclass
class ZendeskAccount:
    """The records a fake Zendesk serves, in export order."""

    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    metric_sets: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    custom_statuses: list[dict[str, Any]] = field(default_factory=list)
    ticket_fields: list[dict[str, Any]] = field(default_factory=list)


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic_account(days: list[date], per_day: int, seed: int = 3) -> ZendeskAccount:
    """`per_day` tickets created and last changed on each day (UTC), with their events.

    Each ticket is created by its requester (status new, a public comment); two in three
    get an agent's reply (status open, or pending); one in three is solved that day.
    Timestamps are unique seconds, so pages never split a tie.
    """
    rng = random.Random(seed)
    account = ZendeskAccount(
        groups=[
            {
                "id": gid,
                "name": name,
                "url": f"https://x.zendesk.com/api/v2/groups/{gid}.json",
                "deleted": False,
                "default": gid == 30,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for gid, name in GROUPS
        ],
        custom_statuses=[
            {"id": sid, "status_category": category, "agent_label": label, "active": True}
            for sid, category, label in STATUSES
        ],
        ticket_fields=[
            {"id": 5001, "type": "subject", "title": "Subject", "active": True},
            {"id": 5002, "type": "group", "title": "Group", "active": True},
        ],
        users=[{"id": agent, "role": "agent", "name": f"Agent {agent}"} for agent in AGENTS],
    )
    ticket_id, event_id, second = 1000, 70000, 0
    for day in days:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for n in range(per_day):
            ticket_id += 1
            second += 1
            created = midnight + timedelta(seconds=60 + n * (80000 // max(per_day, 1)))
            requester = 5000 + ticket_id
            agent = rng.choice(AGENTS)
            group = rng.choice(GROUPS)[0]
            fate = ticket_id % 3
            status = ("solved", "open", "pending")[fate] if rng.random() < 0.67 else "new"
            updated = created + timedelta(minutes=30) if status != "new" else created
            account.users.append({"id": requester, "role": "end-user", "name": f"R{requester}"})
            event_id += 1
            account.events.append(
                {
                    "id": event_id,
                    "ticket_id": ticket_id,
                    "timestamp": int(created.timestamp()),
                    "created_at": _iso(created),
                    "updater_id": requester,
                    "via": "Mail",
                    "event_type": "Audit",
                    "child_events": [
                        {
                            "id": event_id * 10 + 1,
                            "event_type": "Create",
                            "field_name": "status",
                            "value": "new",
                        },
                        {
                            "id": event_id * 10 + 2,
                            "event_type": "Comment",
                            "public": True,
                            "author_id": requester,
                            "body": f"Help with order {ticket_id}",
                        },
                    ],
                }
            )
            if status != "new":
                event_id += 1
                account.events.append(
                    {
                        "id": event_id,
                        "ticket_id": ticket_id,
                        "timestamp": int(updated.timestamp()),
                        "created_at": _iso(updated),
                        "updater_id": agent,
                        "via": "Web form",
                        "event_type": "Audit",
                        "child_events": [
                            {
                                "id": event_id * 10 + 1,
                                "event_type": "Comment",
                                "public": True,
                                "author_id": agent,
                                "body": "Thanks, looking into it.",
                            },
                            {
                                "id": event_id * 10 + 2,
                                "event_type": "Change",
                                "field_name": "status",
                                "value": status,
                                "previous_value": "new",
                            },
                        ],
                    }
                )
            account.tickets.append(
                {
                    "id": ticket_id,
                    "url": f"https://x.zendesk.com/api/v2/tickets/{ticket_id}.json",
                    "created_at": _iso(created),
                    "updated_at": _iso(updated),
                    "generated_timestamp": int(updated.timestamp()),
                    "type": "question",
                    "subject": f"Order {ticket_id}",
                    "description": f"Help with order {ticket_id}",
                    "priority": rng.choice(["low", "normal", "high"]),
                    "status": status,
                    "requester_id": requester,
                    "submitter_id": requester,
                    "assignee_id": agent if status != "new" else None,
                    "organization_id": None,
                    "group_id": group,
                    "tags": ["orders"],
                    "via": {"channel": "email"},
                    "satisfaction_rating": None,
                    "followup_ids": [],
                    "custom_status_id": None,
                }
            )
            account.metric_sets.append(
                {
                    "ticket_id": ticket_id,
                    "solved_at": _iso(updated) if status == "solved" else None,
                    "reply_time_in_minutes": {"calendar": 30 if status != "new" else None},
                    "reopens": 0,
                    "replies": 1 if status != "new" else 0,
                }
            )
    account.tickets.sort(key=lambda t: (t["generated_timestamp"], t["id"]))
    account.events.sort(key=lambda e: (e["timestamp"], e["id"]))
    return account


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{index}".encode()).decode()


def _index(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


class FakeZendesk(FakeApi):
    """Zendesk's incremental exports and lookups over a `ZendeskAccount`.

    `page_size` caps every page below the client's `per_page` (Zendesk's own maximum is
    1000 for the incremental exports, 100 for the lookups), so small data spans pages.
    """

    def __init__(self, account: ZendeskAccount, page_size: int = 1000) -> None:
        self.account = account
        self.page_size = page_size
        super().__init__(
            {
                "/api/v2/incremental/tickets/cursor.json": self._tickets,
                "/api/v2/incremental/ticket_events.json": self._events,
                "/api/v2/groups.json": self._lookup("groups"),
                "/api/v2/custom_statuses.json": self._plain("custom_statuses"),
                "/api/v2/ticket_fields.json": self._lookup("ticket_fields"),
            },
            basic(f"{EMAIL}/token", TOKEN),
        )

    def environ(self, **overrides: str) -> dict[str, str]:
        """The variables a pull reads to reach this fake."""
        return {
            "ZENDESK_BASE_URL": self.url,
            "ZENDESK_EMAIL": EMAIL,
            "ZENDESK_API_TOKEN": TOKEN,
            **overrides,
        }

    def _tickets(self, query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
        tickets = self.account.tickets
        if "cursor" in query:
            start = _index(query["cursor"])
        else:
            since = int(query.get("start_time", "0"))
            start = next(
                (i for i, t in enumerate(tickets) if t["generated_timestamp"] >= since),
                len(tickets),
            )
        size = min(int(query.get("per_page", "1000")), self.page_size, 1000)
        page = tickets[start : start + size]
        end = start + len(page)
        payload: dict[str, Any] = {
            "tickets": page,
            "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={_cursor(end)}",
            "after_cursor": _cursor(end),
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": end >= len(tickets),
        }
        includes = query.get("include", "").split(",")
        ids = {t["id"] for t in page}
        people = {t["requester_id"] for t in page} | {t["assignee_id"] for t in page}
        if "users" in includes:
            payload["users"] = [u for u in self.account.users if u["id"] in people]
        if "metric_sets" in includes:
            payload["metric_sets"] = [m for m in self.account.metric_sets if m["ticket_id"] in ids]
        return 200, {}, payload

    def _events(self, query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
        events = self.account.events
        since = int(query.get("start_time", "0"))
        start = next((i for i, e in enumerate(events) if e["timestamp"] >= since), len(events))
        page = events[start : start + min(self.page_size, 1000)]
        more = start + len(page) < len(events)
        end_time = page[-1]["timestamp"] if page else since
        if more:  # the next page starts after this one's last second (unique seconds here)
            end_time += 1
        return (
            200,
            {},
            {
                "ticket_events": page,
                "next_page": (
                    f"{self.url}/api/v2/incremental/ticket_events.json?start_time={end_time}"
                    if more
                    else None
                ),
                "count": len(page),
                "end_time": end_time,
                "end_of_stream": not more,
            },
        )

    def _lookup(self, key: str):
        def answer(query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
            rows = getattr(self.account, key)
            size = min(int(query.get("page[size]", "100")), 100, max(self.page_size, 1))
            start = _index(query["page[after]"]) if "page[after]" in query else 0
            page = rows[start : start + size]
            more = start + size < len(rows)
            return (
                200,
                {},
                {
                    key: page,
                    "meta": {
                        "has_more": more,
                        "after_cursor": _cursor(start + size) if more else None,
                        "before_cursor": None,
                    },
                    "links": {
                        "prev": None,
                        "next": (
                            f"{self.url}/api/v2/{key}.json?page[after]={_cursor(start + size)}"
                            if more
                            else None
                        ),
                    },
                },
            )

        return answer

    def _plain(self, key: str):
        def answer(query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
            return 200, {}, {key: getattr(self.account, key)}

        return answer
