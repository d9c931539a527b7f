"""Zendesk: Incremental Export API pages as saved to disk -> canonical tickets and events.

A day's folder holds `tickets*.json` pages (`{"tickets": [...], "after_cursor": ...,
"end_of_stream": ...}`, optionally side-loaded `metric_sets` and `users`),
`ticket_events*.json` pages (`{"ticket_events": [...]}` with `child_events`), or the
same as JSONL (one ticket / ticket event per line), and when exported `users*.json`
(author roles), `custom_statuses*.json` (custom status -> category) and `groups*.json`
(group id -> the group's name, so `group_name` is the name the team knows; `backlog
pull` saves them beside the pages). The field tables below are the whole mapping; the
code only walks the JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tasks.adapters.base import DayFiles, LoadUnit, SourceRow, glob_files, unit_sha256
from tasks.adapters.files import ExportFileError
from tasks.contract import CANONICAL_COLUMNS
from tasks.errors import BacklogError

TICKET_PATTERNS = ("tickets*.json", "tickets*.jsonl")
EVENT_PATTERNS = ("ticket_events*.json", "ticket_events*.jsonl")
USER_PATTERNS = ("users*.json", "users*.jsonl")
CUSTOM_STATUS_PATTERNS = ("custom_statuses*.json", "custom_statuses*.jsonl")
GROUP_PATTERNS = ("groups*.json", "groups*.jsonl")
AUX_KEYS = ("users", "custom_statuses", "groups")

# canonical ticket key <- Zendesk ticket field (a dotted path into the ticket object)
TICKET_FIELDS = {
    "ticket_id": "id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "requester_id": "requester_id",
    "priority": "priority",
    "type": "type",
    "channel": "via.channel",
    "group_name": "group_id",
    "assignee_id": "assignee_id",
    "organization_id": "organization_id",
    "subject": "subject",
    "description": "description",
    "tags": "tags",
    "satisfaction": "satisfaction_rating.score",
}
# kept in `extra` (recontact and the source's own counts can use them later)
TICKET_EXTRAS = {
    "zendesk_status": "status",
    "custom_status_id": "custom_status_id",
    "followup_ids": "followup_ids",
    "via_followup_source_id": "via.source.rel",
    "followup_source_id": "via.source.from.ticket_id",
    "brand_id": "brand_id",
    "ticket_form_id": "ticket_form_id",
}
# from a side-loaded metric set (include=metric_sets): extra keys
METRIC_EXTRAS = {"zendesk_reopens": "reopens", "zendesk_replies": "replies"}
STATUS_MAP = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "hold",
    "on-hold": "hold",
    "solved": "solved",
    "closed": "closed",
    "deleted": "deleted",
}
CHANNEL_MAP = {
    "voice": "phone",
    "web_widget": "web",
    "web_service": "api",
    "native_messaging": "chat",
    "mobile_sdk": "mobile",
    "any_channel": "api",
}
ROLE_MAP = {"end-user": "end_user", "agent": "agent", "admin": "agent"}
# Change / Create child events: Zendesk field -> canonical event kind
CHANGE_KINDS = {
    "status": "status_change",
    "priority": "priority_change",
    "assignee_id": "assignment",
    "group_id": "assignment",
    "tags": "tag_change",
}
COMMENT_TYPES = ("Comment", "VoiceComment")
SYSTEM_AUTHOR_IDS = ("-1",)
TICKET_COLUMNS = [
    *TICKET_FIELDS,
    "status",
    "solved_at",
    "first_reply_at",
    *TICKET_EXTRAS,
    "zendesk_group_id",
]
EVENT_COLUMNS = [*CANONICAL_COLUMNS["events"], "zendesk_event_type", "zendesk_field"]


class ZendeskAdapter:
    """`--source zendesk`."""

    name = "zendesk"

    def find_files(self, folder: Path) -> DayFiles:
        """Ticket and ticket event pages; users and custom statuses as auxiliary files."""
        tickets = glob_files(folder, TICKET_PATTERNS)
        if not tickets:
            raise BacklogError(
                f"{folder} has no Zendesk tickets page; expected tickets*.json (incremental "
                "export pages) or tickets*.jsonl."
            )
        events = glob_files(folder, EVENT_PATTERNS)
        aux = (
            glob_files(folder, USER_PATTERNS)
            + glob_files(folder, CUSTOM_STATUS_PATTERNS)
            + glob_files(folder, GROUP_PATTERNS)
        )
        return DayFiles(data=tuple(tickets + events), aux=tuple(aux))

    def entities(self, path: Path) -> tuple[str, ...]:
        """Ticket pages yield tickets, ticket event pages events."""
        return ("events",) if path.name.startswith("ticket_events") else ("tickets",)

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        """Tickets pages first (their requesters decide comment roles), then events."""
        users: dict[str, str] = {}
        categories: dict[str, str] = {}
        groups: dict[str, str] = {}
        for path in files.aux:
            key = next(key for key in AUX_KEYS if path.name.startswith(key))
            for _line, _raw, item in _items(path, key, "tickets", ExportFileError):
                if not isinstance(item, dict) or item.get("id") is None:
                    continue
                if key == "users" and item.get("role"):
                    users[str(item["id"])] = str(item["role"])
                elif key == "custom_statuses" and item.get("status_category"):
                    categories[str(item["id"])] = str(item["status_category"])
                elif key == "groups" and item.get("name"):
                    groups[str(item["id"])] = str(item["name"])
        aux_hashes = [hashes[path] for path in files.aux]
        units: list[LoadUnit] = []
        requesters: dict[str, str] = {}
        for path in files.data:
            if self.entities(path) != ("tickets",):
                continue
            metrics = _side_loaded(path, "metric_sets", "ticket_id")
            for user in _side_loaded(path, "users", "id").values():
                if user.get("role"):
                    users.setdefault(str(user["id"]), str(user["role"]))
            rows = []
            for line, raw, item in _items(path, "tickets", "tickets", ExportFileError):
                row = _ticket_row(item, raw, line, categories, metrics, groups)
                if row.record and row.record.get("ticket_id") and row.record.get("requester_id"):
                    requesters[row.record["ticket_id"]] = row.record["requester_id"]
                rows.append(row)
            units.append(_unit("tickets", path, hashes, aux_hashes, rows, TICKET_COLUMNS))
        for path in files.data:
            if self.entities(path) != ("events",):
                continue
            rows = []
            for line, raw, item in _items(path, "ticket_events", "events", ExportFileError):
                rows.extend(_event_rows(item, raw, line, users, requesters))
            units.append(_unit("events", path, hashes, aux_hashes, rows, EVENT_COLUMNS))
        return units


def _unit(
    entity: str,
    path: Path,
    hashes: dict[Path, str],
    aux_hashes: list[str],
    rows: list[SourceRow],
    columns: list[str],
) -> LoadUnit:
    key = "tickets" if entity == "tickets" else "ticket_events"
    return LoadUnit(
        entity=entity,
        path=path,
        sha256=unit_sha256(hashes[path], aux_hashes),
        rows=rows,
        columns=columns,
        expected=f'Zendesk incremental export {key} ({{"{key}": [...]}} pages or JSONL)',
    )


def _items(
    path: Path, key: str, entity: str, error: type[Exception]
) -> list[tuple[int | None, str, Any]]:
    """The objects of a page (`{key: [...]}`) or of a JSONL file, with their text.

    A page that is not JSON, or has no `key` list, is fatal for the file; a JSONL line
    that is not JSON becomes an item holding the error (quarantined by the caller).
    """
    text = _text(path, entity, error)
    if path.suffix == ".jsonl":
        items: list[tuple[int | None, str, Any]] = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, line.rstrip("\r"), json.loads(line)))
            except ValueError as exc:
                items.append((number, line.rstrip("\r"), _Bad(f"line is not valid JSON ({exc})")))
        return items
    try:
        page = json.loads(text)
    except ValueError as exc:
        raise error(
            f"{path} is not valid JSON ({exc}); expected a Zendesk incremental export page "
            f'{{"{key}": [...]}}, so download the page again.',
            path=path,
            entity=entity,
        ) from exc
    if not isinstance(page, dict) or not isinstance(page.get(key), list):
        raise error(
            f"{path} has no {key!r} list; expected a Zendesk incremental export page "
            f'{{"{key}": [...]}}, so check that the file is the {key} export.',
            path=path,
            entity=entity,
            column=key,
        )
    return [(None, json.dumps(item, ensure_ascii=False), item) for item in page[key]]


def _text(path: Path, entity: str, error: type[Exception]) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise error(
            f"{path} is empty; expected a Zendesk incremental export page, so download it again.",
            path=path,
            entity=entity,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path} is not UTF-8 ({exc.reason} at byte {exc.start}); expected the JSON the "
            "Zendesk API returned, so download it again.",
            path=path,
            entity=entity,
        ) from exc


def _side_loaded(path: Path, key: str, id_key: str) -> dict[str, dict[str, Any]]:
    """Side-loaded objects of a JSON page by id (none in JSONL or a broken page)."""
    if path.suffix != ".json":
        return {}
    try:
        page = json.loads(path.read_bytes().decode("utf-8-sig"))
    except ValueError:
        return {}
    found = page.get(key) if isinstance(page, dict) else None
    if not isinstance(found, list):
        return {}
    return {
        str(item[id_key]): item
        for item in found
        if isinstance(item, dict) and item.get(id_key) is not None
    }


class _Bad:
    """A JSONL line that did not parse."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _path(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text_value(value: Any) -> Any:
    """Ids as text (Zendesk ids are integers); lists and text as they are."""
    if value is None or isinstance(value, str | list):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _not_object(item: Any, raw: str, line: int | None) -> SourceRow | None:
    if isinstance(item, _Bad):
        return SourceRow(raw, None, f"{item.problem}; expected one JSON object", line)
    if not isinstance(item, dict):
        return SourceRow(
            raw,
            None,
            f"item is a JSON {type(item).__name__}, not an object; expected an object",
            line,
        )
    return None


def _ticket_row(
    item: Any,
    raw: str,
    line: int | None,
    categories: dict[str, str],
    metrics: dict[str, dict[str, Any]],
    groups: dict[str, str],
) -> SourceRow:
    """One Zendesk ticket -> one canonical ticket record (`group_name`: the group's name
    when the groups were exported beside it, else its id)."""
    bad = _not_object(item, raw, line)
    if bad:
        return bad
    record = {key: _text_value(_path(item, source)) for key, source in TICKET_FIELDS.items()}
    record.update({key: _text_value(_path(item, source)) for key, source in TICKET_EXTRAS.items()})
    status = item.get("status")
    custom = item.get("custom_status_id")
    if custom is not None and str(custom) in categories:
        status = categories[str(custom)]
    record["status"] = STATUS_MAP.get(str(status).strip().lower(), status) if status else None
    if record.get("group_name") in groups:
        record["zendesk_group_id"] = record["group_name"]
        record["group_name"] = groups[record["group_name"]]
    channel = record.get("channel")
    record["channel"] = CHANNEL_MAP.get(channel, channel) if channel else None
    metric = metrics.get(str(item.get("id")), {})
    record["solved_at"] = metric.get("solved_at")
    record["first_reply_at"] = _after_minutes(
        record.get("created_at"), _path(metric, "reply_time_in_minutes.calendar")
    )
    record.update({key: _text_value(metric.get(source)) for key, source in METRIC_EXTRAS.items()})
    return SourceRow(raw, {k: v for k, v in record.items() if v is not None}, None, line)


def _after_minutes(start: Any, minutes: Any) -> str | None:
    """`start` + a number of minutes, as ISO 8601 (Zendesk metric sets give durations)."""
    if not isinstance(start, str) or not isinstance(minutes, int | float):
        return None
    try:
        instant = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return (instant + timedelta(minutes=minutes)).isoformat()


def _occurred_at(item: dict[str, Any]) -> str | None:
    created = item.get("created_at")
    if isinstance(created, str) and created.strip():
        return created
    stamp = item.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, UTC).isoformat()
    return None


def _role(
    author: str | None, ticket_id: str | None, users: dict[str, str], requesters: dict[str, str]
) -> str | None:
    """agent / end_user / system: from the users file, else author vs requester."""
    if author is None:
        return None
    if author in SYSTEM_AUTHOR_IDS:
        return "system"
    if author in users:
        return ROLE_MAP.get(users[author], users[author])
    requester = requesters.get(ticket_id or "")
    if requester is None:
        return None
    return "end_user" if author == requester else "agent"


def _event_rows(
    item: Any,
    raw: str,
    line: int | None,
    users: dict[str, str],
    requesters: dict[str, str],
) -> list[SourceRow]:
    """One Zendesk ticket event -> a canonical event per relevant child event (maybe none)."""
    bad = _not_object(item, raw, line)
    if bad:
        return [bad]
    ticket_id = _text_value(item.get("ticket_id"))
    occurred_at = _occurred_at(item)
    updater = _text_value(item.get("updater_id"))
    children = item.get("child_events")
    if not isinstance(children, list):
        return [SourceRow(raw, None, "ticket event has no child_events list", line)]
    rows = []
    for position, child in enumerate(children, start=1):
        if not isinstance(child, dict):
            continue
        child_type = child.get("event_type") or child.get("type")
        child_id = child.get("id")
        event_id = f"zd-{child_id}" if child_id is not None else f"zd-{item.get('id')}-{position}"
        base = {
            "event_id": event_id,
            "ticket_id": ticket_id,
            "occurred_at": occurred_at,
            "zendesk_event_type": child_type,
        }
        if child_type in COMMENT_TYPES:
            author = _text_value(child.get("author_id")) or updater
            record = {
                **base,
                "kind": "comment",
                "author_id": author,
                "author_role": _role(author, ticket_id, users, requesters),
                "public": child.get("public"),
                "body": child.get("body"),
            }
        elif child_type in ("Change", "Create"):
            field_name, value, previous = _change(child)
            if field_name not in CHANGE_KINDS:
                continue
            if field_name == "status":
                value = STATUS_MAP.get(str(value).lower(), value) if value is not None else None
                previous = (
                    STATUS_MAP.get(str(previous).lower(), previous)
                    if previous is not None
                    else None
                )
            record = {
                **base,
                "kind": CHANGE_KINDS[field_name],
                "zendesk_field": field_name,
                "from_value": _joined(previous),
                "to_value": _joined(value),
                "author_id": updater,
                "author_role": _role(updater, ticket_id, users, requesters),
            }
        else:
            continue
        if isinstance(record.get("public"), bool):
            record["public"] = str(record["public"]).lower()
        rows.append(
            SourceRow(
                json.dumps(child, ensure_ascii=False),
                {k: v for k, v in record.items() if v is not None},
                None,
                line,
            )
        )
    return rows


def _change(child: dict[str, Any]) -> tuple[str | None, Any, Any]:
    """(field, value, previous value) of a Change/Create child event, in either shape:
    `field_name` + `value`, or the field's own key (`"status": "open"`)."""
    if child.get("field_name"):
        return str(child["field_name"]), child.get("value"), child.get("previous_value")
    for field_name in CHANGE_KINDS:
        if field_name in child:
            return field_name, child[field_name], child.get("previous_value")
    return None, None, None


def _joined(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(part) for part in value)
    return str(value)
