"""Fake Freshdesk, Jira Cloud and ServiceNow APIs serving one synthetic account (the fake
Zendesk's) in each vendor's documented wire format."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from tests.support.fake_helpdesk import FakeApi, basic
from tests.support.fake_zendesk import GROUPS, ZendeskAccount

FRESHDESK_KEY = "fd-fake-key-81b2"
JIRA_EMAIL, JIRA_TOKEN, JIRA_ZONE = "lead@example.com", "jira-fake-token-77aa", "Europe/Berlin"
SNOW_USER, SNOW_PASSWORD = "backlog.integration", "snow-fake-pass-19c"
GROUP_NAMES = dict(GROUPS)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(f"o:{index}".encode()).decode()


def _offset(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])


def _status_changes(account: ZendeskAccount) -> dict[int, list[tuple[str, str, str, str]]]:
    """Per ticket: (event id, when, from, to) of each status change, in order."""
    found: dict[int, list[tuple[str, str, str, str]]] = {}
    for event in account.events:
        for child in event["child_events"]:
            if child.get("field_name") == "status":
                found.setdefault(event["ticket_id"], []).append(
                    (
                        str(child["id"]),
                        event["created_at"],
                        child.get("previous_value"),
                        child["value"],
                    )
                )
    return found


class FakeFreshdesk(FakeApi):
    """`/api/v2/tickets` (updated_since, page, per_page <= 100, include=stats), groups and
    ticket fields; `Link` rel="next" and `X-RateLimit-*` headers on every answer."""

    STATUS: ClassVar[dict] = {"new": 2, "open": 2, "pending": 3, "solved": 4, "closed": 5}
    PRIORITY: ClassVar[dict] = {"low": 1, "normal": 2, "high": 3, "urgent": 4}

    def __init__(self, account: ZendeskAccount, page_size: int = 100) -> None:
        self.account, self.page_size, self.remaining = account, page_size, 400
        metrics = {m["ticket_id"]: m for m in account.metric_sets}
        self.tickets = [self._ticket(t, metrics[t["id"]]) for t in account.tickets]
        super().__init__(
            {
                "/api/v2/tickets": self._tickets,
                "/api/v2/groups": self._list(
                    [{"id": gid, "name": name, "description": None} for gid, name in GROUPS]
                ),
                "/api/v2/ticket_fields": self._list(
                    [
                        {
                            "id": 1,
                            "name": "status",
                            "label": "Status",
                            "type": "default_status",
                            "choices": {
                                "2": ["Open", "Being Processed"],
                                "3": ["Pending", "Awaiting your Reply"],
                                "4": ["Resolved", "This ticket has been Resolved"],
                                "5": ["Closed", "This ticket has been Closed"],
                                "6": ["Waiting on Customer", "Awaiting your Reply"],
                            },
                        },
                    ]
                ),
            },
            basic(FRESHDESK_KEY, "X"),
        )

    def environ(self, **overrides: str) -> dict[str, str]:
        return {"FRESHDESK_BASE_URL": self.url, "FRESHDESK_API_KEY": FRESHDESK_KEY, **overrides}

    def _ticket(self, t: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": t["id"],
            "subject": t["subject"],
            "description_text": t["description"],
            "status": self.STATUS[t["status"]],
            "priority": self.PRIORITY[t["priority"]],
            "source": 1,
            "type": "Question",
            "group_id": t["group_id"],
            "responder_id": t["assignee_id"],
            "requester_id": t["requester_id"],
            "company_id": None,
            "created_at": t["created_at"],
            "updated_at": t["updated_at"],
            "due_by": None,
            "fr_due_by": None,
            "tags": t["tags"],
            "custom_fields": {},
            "stats": {
                "agent_responded_at": t["updated_at"] if t["status"] != "new" else None,
                "first_responded_at": t["updated_at"] if t["status"] != "new" else None,
                "resolved_at": metric["solved_at"],
                "closed_at": None,
                "status_updated_at": t["updated_at"],
                "pending_since": None,
            },
        }

    def _headers(self, cost: int, more: bool, path: str, query: dict[str, str]) -> dict[str, str]:
        self.remaining -= cost
        headers = {
            "X-RateLimit-Total": "400",
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used-CurrentRequest": str(cost),
        }
        if more:
            nxt = {**query, "page": str(int(query.get("page", "1")) + 1)}
            link = "&".join(f"{k}={v}" for k, v in nxt.items())
            headers["Link"] = f'<{self.url}{path}?{link}>; rel="next"'
        return headers

    def _tickets(self, query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
        since = _instant(query.get("updated_since", "1970-01-01T00:00:00Z"))
        rows = sorted(
            (t for t in self.tickets if _instant(t["updated_at"]) >= since),
            key=lambda t: (t["updated_at"], t["id"]),
        )
        size = min(int(query.get("per_page", "30")), 100, self.page_size)
        start = (int(query.get("page", "1")) - 1) * size
        page = rows[start : start + size]
        cost = 2 if "stats" in query.get("include", "") else 1  # an include costs a credit
        more = start + size < len(rows)
        return 200, self._headers(cost, more, "/api/v2/tickets", query), page

    def _list(self, rows: list[dict[str, Any]]):
        def answer(query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
            return 200, self._headers(1, False, "", query), rows

        return answer


class FakeJira(FakeApi):
    """`/rest/api/3/myself` and `/rest/api/3/search/jql` (JQL on project and updated, dates
    in the user's zone; nextPageToken / isLast; expand=changelog; fields)."""

    STATUS: ClassVar[dict] = {
        "new": ("Open", "new"),
        "open": ("Waiting for support", "indeterminate"),
        "pending": ("Waiting for customer", "indeterminate"),
        "solved": ("Resolved", "done"),
    }
    PRIORITY: ClassVar[dict] = {
        "low": "Low",
        "normal": "Medium",
        "high": "High",
        "urgent": "Highest",
    }

    def __init__(self, account: ZendeskAccount, page_size: int = 100, project: str = "SUP"):
        self.project, self.page_size = project, page_size
        changes = _status_changes(account)
        self._events: dict[int, list[dict[str, Any]]] = {}
        for event in account.events:
            self._events.setdefault(event["ticket_id"], []).append(event)
        self.issues = [self._issue(t, changes.get(t["id"], []), account) for t in account.tickets]
        self._updated = [_instant(t["updated_at"]) for t in account.tickets]
        super().__init__(
            {"/rest/api/3/myself": self._myself, "/rest/api/3/search/jql": self._search},
            basic(JIRA_EMAIL, JIRA_TOKEN),
        )

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "JIRA_BASE_URL": self.url,
            "JIRA_EMAIL": JIRA_EMAIL,
            "JIRA_API_TOKEN": JIRA_TOKEN,
            "JIRA_PROJECT": self.project,
            **overrides,
        }

    @staticmethod
    def _when(text: str) -> str:
        return _instant(text).strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def _issue(self, t: dict[str, Any], changes: list, account: ZendeskAccount) -> dict:
        name, category = self.STATUS[t["status"]]
        comments = [
            {
                "id": str(child["id"]),
                "author": {"accountId": f"acc-{child['author_id']}"},
                "created": self._when(event["created_at"]),
                "jsdPublic": True,
            }
            for event in self._events.get(t["id"], [])
            for child in event["child_events"]
            if child["event_type"] == "Comment"
        ]
        histories = [
            {
                "id": event_id,
                "author": {"accountId": f"acc-{t['assignee_id'] or t['requester_id']}"},
                "created": self._when(when),
                "items": [
                    {
                        "field": "status",
                        "fieldtype": "jira",
                        "fromString": self.STATUS[old][0] if old else None,
                        "toString": self.STATUS[new][0],
                    }
                ],
            }
            for event_id, when, old, new in changes
            if old
        ]
        return {
            "id": str(t["id"] + 9000),
            "key": f"{self.project}-{t['id']}",
            "self": f"https://x.atlassian.net/rest/api/3/issue/{t['id'] + 9000}",
            "fields": {
                "summary": t["subject"],
                "description": None,
                "status": {"name": name, "statusCategory": {"key": category}},
                "priority": {"name": self.PRIORITY[t["priority"]]},
                "issuetype": {"name": "Service Request"},
                "assignee": {"accountId": f"acc-{t['assignee_id']}"} if t["assignee_id"] else None,
                "reporter": {"accountId": f"acc-{t['requester_id']}"},
                "created": self._when(t["created_at"]),
                "updated": self._when(t["updated_at"]),
                "resolutiondate": self._when(t["updated_at"]) if t["status"] == "solved" else None,
                "labels": t["tags"],
                "components": [{"name": GROUP_NAMES[t["group_id"]]}],
                "comment": {"comments": comments, "total": len(comments)},
            },
            "changelog": {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            },
        }

    def _myself(self, query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
        return (
            200,
            {},
            {
                "accountId": "acc-lead",
                "emailAddress": JIRA_EMAIL,
                "timeZone": JIRA_ZONE,
                "active": True,
            },
        )

    def _search(self, query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
        jql = query.get("jql", "")
        zone = ZoneInfo(JIRA_ZONE)
        bounds = {
            op: datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
            for op, value in re.findall(r'updated (>=|<) "([^"]+)"', jql)
        }
        project = re.search(r'project = "([^"]+)"', jql)
        low = bounds.get(">=", datetime.min.replace(tzinfo=UTC))
        high = bounds.get("<", datetime.max.replace(tzinfo=UTC))
        rows = [
            issue
            for issue, updated in zip(self.issues, self._updated, strict=True)
            if project and issue["key"].startswith(project.group(1) + "-") and low <= updated < high
        ]
        size = min(int(query.get("maxResults", "50")), self.page_size, 5000)
        start = _offset(query["nextPageToken"]) if "nextPageToken" in query else 0
        page = rows[start : start + size]
        last = start + size >= len(rows)
        payload: dict[str, Any] = {"issues": page, "isLast": last}
        if not last:
            payload["nextPageToken"] = _token(start + size)
        return 200, {}, payload


class FakeServiceNow(FakeApi):
    """Table API on `incident` and `sys_audit`: `sysparm_query` (>=, <, IN, ORDERBY),
    `sysparm_limit` / `sysparm_offset`, `sysparm_display_value=all`, `Link` rel="next"."""

    STATE: ClassVar[dict] = {"new": "1", "open": "2", "pending": "3", "solved": "6"}
    STATE_NAME: ClassVar[dict] = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved"}
    PRIORITY: ClassVar[dict] = {"urgent": "1", "high": "2", "normal": "3", "low": "4"}

    def __init__(self, account: ZendeskAccount, page_size: int = 10000) -> None:
        self.page_size = page_size
        self.incidents = [self._incident(t) for t in account.tickets]
        self.audits = [
            {
                "sys_id": f"aud{event_id}",
                "documentkey": f"sys{ticket}",
                "tablename": "incident",
                "fieldname": "state",
                "oldvalue": self.STATE[old] if old else "",
                "newvalue": self.STATE[new],
                "sys_created_on": _instant(when).strftime("%Y-%m-%d %H:%M:%S"),
                "sys_created_by": "agent",
                "user": "agent",
            }
            for ticket, changes in _status_changes(account).items()
            for event_id, when, old, new in changes
        ]
        self.audits.sort(key=lambda a: (a["sys_created_on"], a["sys_id"]))
        super().__init__(
            {
                "/api/now/table/incident": self._table(self.incidents, "sys_updated_on"),
                "/api/now/table/sys_audit": self._table(self.audits, "sys_created_on"),
            },
            basic(SNOW_USER, SNOW_PASSWORD),
        )

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "SERVICENOW_BASE_URL": self.url,
            "SERVICENOW_USER": SNOW_USER,
            "SERVICENOW_PASSWORD": SNOW_PASSWORD,
            **overrides,
        }

    def _incident(self, t: dict[str, Any]) -> dict[str, Any]:
        def stamp(text: str | None) -> str:
            return _instant(text).strftime("%Y-%m-%d %H:%M:%S") if text else ""

        state = self.STATE[t["status"]]
        return {
            "sys_id": f"sys{t['id']}",
            "number": f"INC{t['id']:07d}",
            "short_description": t["subject"],
            "description": t["description"],
            "state": (state, self.STATE_NAME[state]),
            "priority": (self.PRIORITY[t["priority"]], t["priority"].title()),
            "contact_type": ("email", "Email"),
            "category": ("inquiry", "Inquiry / Help"),
            "caller_id": (f"user{t['requester_id']}", f"Caller {t['requester_id']}"),
            "assigned_to": (f"user{t['assignee_id']}" if t["assignee_id"] else "", ""),
            "assignment_group": (f"grp{t['group_id']}", GROUP_NAMES[t["group_id"]]),
            "company": ("", ""),
            "opened_at": stamp(t["created_at"]),
            "sys_created_on": stamp(t["created_at"]),
            "sys_updated_on": stamp(t["updated_at"]),
            "resolved_at": stamp(t["updated_at"]) if t["status"] == "solved" else "",
            "closed_at": "",
        }

    @staticmethod
    def _shape(row: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        fields = query.get("sysparm_fields")
        keep = fields.split(",") if fields else list(row)
        every = query.get("sysparm_display_value") == "all"
        shaped = {}
        for key in keep:
            value = row.get(key, "")
            stored, shown = value if isinstance(value, tuple) else (value, value)
            shaped[key] = {"display_value": shown, "value": stored} if every else stored
        return shaped

    def _table(self, rows: list[dict[str, Any]], stamp: str):
        def answer(query: dict[str, str], api: FakeApi) -> tuple[int, dict, Any]:
            text = query.get("sysparm_query", "")
            found = rows
            ids = re.search(r"sys_idIN([^^]+)", text)
            if ids:
                wanted = set(ids.group(1).split(","))
                found = [r for r in found if r["sys_id"] in wanted]
            low = re.search(rf"{stamp}>=([^^]+)", text)
            high = re.search(rf"{stamp}<([^^]+)", text)
            if low:
                found = [r for r in found if r[stamp] >= low.group(1)]
            if high:
                found = [r for r in found if r[stamp] < high.group(1)]
            found = sorted(found, key=lambda r: (r[stamp], r["sys_id"]))
            limit = min(int(query.get("sysparm_limit", "10000")), self.page_size)
            offset = int(query.get("sysparm_offset", "0"))
            page = [self._shape(r, query) for r in found[offset : offset + limit]]
            links = [f'<{self.url}?sysparm_offset=0>;rel="first"']
            if offset + limit < len(found):
                links.append(f'<{self.url}?sysparm_offset={offset + limit}>;rel="next"')
            last = max(len(found) - limit, 0)
            links.append(f'<{self.url}?sysparm_offset={last}>;rel="last"')
            headers = {"X-Total-Count": str(len(found)), "Link": ",".join(links)}
            return 200, headers, {"result": page}

        return answer
