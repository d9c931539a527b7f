"""ServiceNow: the Table API's incident and sys_audit pages (`backlog pull --source
servicenow`) -> canonical tickets (one per incident) and status-change events.

Pages are read as `sysparm_display_value=all` answers them (`{"value", "display_value"}`
per field): times and codes from `value` (stored UTC), names from `display_value`. The
incident states and priorities are ServiceNow's shipped choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.adapters.api_pages import make_unit, page_items, row, text
from tasks.adapters.base import DayFiles, LoadUnit, glob_files
from tasks.contract import CANONICAL_COLUMNS
from tasks.errors import BacklogError

INCIDENT_PAGES = ("incident-*.json",)
AUDIT_PAGES = ("sys_audit-*.json",)
NUMBER_PAGES = ("incident_numbers-*.json",)
STATE = {"1": "new", "2": "open", "3": "hold", "6": "solved", "7": "closed", "8": "closed"}
PRIORITY = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}
CHANNEL = {
    "email": "email",
    "phone": "phone",
    "self-service": "web",
    "chat": "chat",
    "virtual_agent": "chat",
    "walk-in": "other",
}
TICKET_COLUMNS = [*CANONICAL_COLUMNS["tickets"], "servicenow_state", "servicenow_sys_id"]
EVENT_COLUMNS = [*CANONICAL_COLUMNS["events"], "servicenow_state_from", "servicenow_state_to"]


class ServiceNowAdapter:
    """`--source servicenow`."""

    name = "servicenow"

    def find_files(self, folder: Path) -> DayFiles:
        incidents = glob_files(folder, INCIDENT_PAGES)
        if not incidents:
            raise BacklogError(
                f"{folder} has no ServiceNow incident page; expected incident-*.json as "
                "`backlog pull --source servicenow` saves them."
            )
        return DayFiles(
            data=tuple(incidents + glob_files(folder, AUDIT_PAGES)),
            aux=tuple(glob_files(folder, NUMBER_PAGES)),
        )

    def entities(self, path: Path) -> tuple[str, ...]:
        return ("events",) if path.name.startswith("sys_audit") else ("tickets",)

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        numbers: dict[str, str] = {}
        pages = {
            path: page_items(path, "result", "ServiceNow", self.entities(path)[0])
            for path in files.data
        }
        for path in files.aux:
            for _raw, item in page_items(path, "result", "ServiceNow", "events"):
                if isinstance(item, dict) and _value(item.get("sys_id")):
                    numbers[str(_value(item["sys_id"]))] = str(_value(item.get("number")))
        for path, records in pages.items():
            if self.entities(path) == ("tickets",):
                for _raw, item in records:
                    if isinstance(item, dict) and _value(item.get("sys_id")):
                        numbers[str(_value(item["sys_id"]))] = str(_value(item.get("number")))
        units = []
        for path, records in pages.items():
            if self.entities(path) == ("tickets",):
                rows = [row(raw, _incident(item)) for raw, item in records]
                units.append(
                    make_unit(
                        "tickets",
                        path,
                        hashes,
                        files.aux,
                        rows,
                        TICKET_COLUMNS,
                        'ServiceNow Table API incident pages ({"result": [...]})',
                    )
                )
            else:
                rows = [row(raw, _audit(item, numbers)) for raw, item in records]
                units.append(
                    make_unit(
                        "events",
                        path,
                        hashes,
                        files.aux,
                        rows,
                        EVENT_COLUMNS,
                        'ServiceNow Table API sys_audit pages ({"result": [...]})',
                    )
                )
        return units


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field


def _shown(field: Any) -> Any:
    return field.get("display_value") if isinstance(field, dict) else field


def utc(stamp: Any) -> str | None:
    """A stored ServiceNow time (`2026-03-02 09:00:00`, UTC) as ISO 8601."""
    if not isinstance(stamp, str) or not stamp.strip():
        return None
    return stamp.strip().replace(" ", "T") + "Z"


def _incident(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    state = text(_value(item.get("state")))
    priority = text(_value(item.get("priority")))
    channel = text(_value(item.get("contact_type")))
    return {
        "ticket_id": text(_value(item.get("number"))),
        "servicenow_sys_id": text(_value(item.get("sys_id"))),
        "subject": text(_value(item.get("short_description"))),
        "description": text(_value(item.get("description"))),
        "created_at": utc(_value(item.get("opened_at"))) or utc(_value(item.get("sys_created_on"))),
        "updated_at": utc(_value(item.get("sys_updated_on"))),
        "status": STATE.get(state or "", "open" if state else None),
        "servicenow_state": text(_shown(item.get("state"))),
        "priority": PRIORITY.get(priority or ""),
        "channel": CHANNEL.get(channel or "", channel),
        "type": text(_value(item.get("category"))),
        "requester_id": text(_value(item.get("caller_id"))),
        "assignee_id": text(_value(item.get("assigned_to"))),
        "group_name": text(_shown(item.get("assignment_group"))),
        "organization_id": text(_value(item.get("company"))),
        "solved_at": utc(_value(item.get("resolved_at"))) or utc(_value(item.get("closed_at"))),
    }


def _audit(item: Any, numbers: dict[str, str]) -> Any:
    if not isinstance(item, dict):
        return item
    key = text(_value(item.get("documentkey")))
    old, new = text(_value(item.get("oldvalue"))), text(_value(item.get("newvalue")))
    return {
        "event_id": f"snow-{_value(item.get('sys_id'))}",
        "ticket_id": numbers.get(key or "", key),
        "occurred_at": utc(_value(item.get("sys_created_on"))),
        "kind": "status_change",
        "from_value": STATE.get(old or "", "open" if old else None),
        "to_value": STATE.get(new or "", "open" if new else None),
        "servicenow_state_from": old,
        "servicenow_state_to": new,
        "author_id": text(_value(item.get("user")) or _value(item.get("sys_created_by"))),
        "author_role": "agent",
    }
