"""Jira Service Management: the search API's issue pages (`backlog pull --source jira`) ->
canonical tickets (one per issue) and events (status changes from the changelog, comments).

Statuses map by name first (Jira Service Management's defaults), else by the status's
category (`new` / `indeterminate` / `done`), the one thing every workflow's statuses share.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tasks.adapters.api_pages import dig, make_unit, page_items, row, text
from tasks.adapters.base import DayFiles, LoadUnit, glob_files
from tasks.contract import CANONICAL_COLUMNS
from tasks.errors import BacklogError

PAGES = ("issues-*.json",)
BY_NAME = {
    "open": "new",
    "to do": "new",
    "waiting for support": "open",
    "in progress": "open",
    "work in progress": "open",
    "escalated": "open",
    "waiting for customer": "pending",
    "pending": "pending",
    "on hold": "hold",
    "resolved": "solved",
    "done": "solved",
    "completed": "solved",
    "closed": "closed",
    "canceled": "closed",
    "cancelled": "closed",
    "declined": "closed",
}
BY_CATEGORY = {"new": "new", "indeterminate": "open", "done": "solved"}
PRIORITY = {"highest": "urgent", "high": "high", "medium": "normal", "low": "low", "lowest": "low"}
TICKET_COLUMNS = [*CANONICAL_COLUMNS["tickets"], "jira_status", "jira_issue_id"]
EVENT_COLUMNS = [*CANONICAL_COLUMNS["events"], "jira_status_from", "jira_status_to"]


class JiraAdapter:
    """`--source jira`."""

    name = "jira"

    def find_files(self, folder: Path) -> DayFiles:
        pages = glob_files(folder, PAGES)
        if not pages:
            raise BacklogError(
                f"{folder} has no Jira issues page; expected issues-*.json as `backlog pull "
                "--source jira` saves them."
            )
        return DayFiles(data=tuple(pages))

    def entities(self, path: Path) -> tuple[str, ...]:
        return ("tickets", "events")

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        units = []
        for path in files.data:
            issues = page_items(path, "issues", "Jira", "tickets")
            tickets = [row(raw, _ticket(item)) for raw, item in issues]
            known = {  # this page's workflow statuses, with their categories
                str(dig(item, "fields.status.name")).lower(): status_of(
                    dig(item, "fields.status.name"), dig(item, "fields.status.statusCategory.key")
                )
                for _raw, item in issues
                if isinstance(item, dict) and dig(item, "fields.status.name")
            }
            events = [event for _raw, item in issues for event in _events(item, known)]
            expected = 'Jira search pages ({"issues": [...]}, expand=changelog)'
            units.append(make_unit("tickets", path, hashes, (), tickets, TICKET_COLUMNS, expected))
            units.append(make_unit("events", path, hashes, (), events, EVENT_COLUMNS, expected))
        return units


def status_of(name: Any, category: Any) -> str | None:
    """A Jira status (name, category key) as a canonical status."""
    if isinstance(name, str) and name.strip().lower() in BY_NAME:
        return BY_NAME[name.strip().lower()]
    return BY_CATEGORY.get(str(category)) if category else None


def _ticket(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    fields = item.get("fields") or {}
    status = fields.get("status") or {}
    components = fields.get("components") or []
    comments = dig(fields, "comment.comments") or []
    reporter = dig(fields, "reporter.accountId")
    replies = [
        c.get("created")
        for c in comments
        if isinstance(c, dict) and dig(c, "author.accountId") not in (None, reporter)
    ]
    priority = dig(fields, "priority.name")
    return {
        "ticket_id": text(item.get("key")),
        "jira_issue_id": text(item.get("id")),
        "subject": text(fields.get("summary")),
        "created_at": fields.get("created"),
        "updated_at": fields.get("updated"),
        "status": status_of(status.get("name"), dig(status, "statusCategory.key")),
        "jira_status": text(status.get("name")),
        "priority": PRIORITY.get(str(priority).lower(), text(priority)) if priority else None,
        "type": text(dig(fields, "issuetype.name")),
        "requester_id": text(reporter),
        "assignee_id": text(dig(fields, "assignee.accountId")),
        "group_name": text(components[0].get("name")) if components else None,
        "tags": fields.get("labels") or None,
        "solved_at": fields.get("resolutiondate"),
        "first_reply_at": min(replies) if replies else None,
    }


def _named(name: Any, known: dict[str, str | None]) -> str | None:
    """A changelog status name: by name, else as the page's issues categorise it, else open."""
    if not isinstance(name, str):
        return None
    return status_of(name, None) or known.get(name.lower()) or "open"


def _events(item: Any, known: dict[str, str | None]) -> list:
    """Status changes (changelog) and comments of one issue."""
    if not isinstance(item, dict):
        return []
    key = text(item.get("key"))
    reporter = dig(item, "fields.reporter.accountId")
    found = []
    for history in dig(item, "changelog.histories") or []:
        if not isinstance(history, dict):
            continue
        author = dig(history, "author.accountId")
        for position, change in enumerate(history.get("items") or [], start=1):
            if not isinstance(change, dict) or change.get("field") != "status":
                continue
            record = {
                "event_id": f"jira-{history.get('id')}-{position}",
                "ticket_id": key,
                "occurred_at": history.get("created"),
                "kind": "status_change",
                "from_value": _named(change.get("fromString"), known),
                "to_value": _named(change.get("toString"), known),
                "jira_status_from": text(change.get("fromString")),
                "jira_status_to": text(change.get("toString")),
                "author_id": text(author),
                "author_role": "end_user" if author == reporter else "agent",
            }
            found.append(row(_raw(change), record))
    for comment in dig(item, "fields.comment.comments") or []:
        if not isinstance(comment, dict):
            continue
        author = dig(comment, "author.accountId")
        record = {
            "event_id": f"jira-comment-{comment.get('id')}",
            "ticket_id": key,
            "occurred_at": comment.get("created"),
            "kind": "comment",
            "author_id": text(author),
            "author_role": "end_user" if author == reporter else "agent",
            "public": text(comment.get("jsdPublic", True)),
        }
        found.append(row(_raw(comment), record))
    return found


def _raw(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
