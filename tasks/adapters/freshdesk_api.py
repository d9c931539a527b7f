"""Freshdesk: the API's ticket pages (`backlog pull`) -> canonical tickets; the CSV export
(`mappings/freshdesk.toml`) when a day's folder holds no API pages.

The API speaks codes where the CSV export speaks labels (status 2-5, priority 1-4, source
1-10): the tables below are Freshdesk's documented codes. Custom statuses (codes from 6)
take their label from the pulled ticket fields. `stats` (include=stats) gives the first
response and resolution times; `groups-*.json` turns `group_id` into the group's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.adapters.api_pages import make_unit, page_items, row, text
from tasks.adapters.base import DayFiles, LoadUnit, glob_files
from tasks.adapters.mapping import BUILTIN_MAPPINGS, MAPPINGS_DIR, MappingAdapter, load_mapping

PAGES = ("tickets-*.json",)
AUX = {"groups": ("groups-*.json",), "ticket_fields": ("ticket_fields-*.json",)}
STATUS = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
PRIORITY = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
SOURCE = {1: "email", 2: "web", 3: "phone", 7: "chat", 9: "web", 10: "email"}
# a custom status's label -> canonical, by its words (else it counts as open)
CUSTOM_WORDS = {"waiting": "pending", "pending": "pending", "hold": "hold", "resolved": "solved"}
FIELDS = {
    "ticket_id": "id",
    "subject": "subject",
    "description": "description_text",
    "type": "type",
    "requester_id": "requester_id",
    "assignee_id": "responder_id",
    "organization_id": "company_id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "tags": "tags",
}
COLUMNS = [
    *FIELDS,
    "status",
    "priority",
    "channel",
    "group_name",
    "solved_at",
    "first_reply_at",
    "freshdesk_status",
    "freshdesk_group_id",
]


class FreshdeskAdapter:
    """`--source freshdesk`: API pages when the day was pulled, else the CSV export."""

    name = "freshdesk"

    def __init__(self) -> None:
        self.csv = MappingAdapter(load_mapping(MAPPINGS_DIR / BUILTIN_MAPPINGS["freshdesk"]))

    @property
    def mapping(self) -> Any:
        """The CSV export's mapping (`mappings/freshdesk.toml`)."""
        return self.csv.mapping

    def find_files(self, folder: Path) -> DayFiles:
        pages = glob_files(folder, PAGES)
        if not pages:
            return self.csv.find_files(folder)
        aux = [path for patterns in AUX.values() for path in glob_files(folder, patterns)]
        return DayFiles(data=tuple(pages), aux=tuple(aux))

    def entities(self, path: Path) -> tuple[str, ...]:
        return ("tickets",) if path.suffix == ".json" else self.csv.entities(path)

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        if not any(path.suffix == ".json" for path in files.data):
            return self.csv.read_day(files, hashes)
        groups, labels = {}, {}
        for path in files.aux:
            for _raw, item in page_items(path, None, "Freshdesk", "tickets"):
                if not isinstance(item, dict):
                    continue
                if path.name.startswith("groups") and item.get("name"):
                    groups[str(item.get("id"))] = str(item["name"])
                elif item.get("name") == "status" and isinstance(item.get("choices"), dict):
                    labels = {
                        str(code): (names[0] if isinstance(names, list) and names else str(names))
                        for code, names in item["choices"].items()
                    }
        return [
            make_unit(
                "tickets",
                path,
                hashes,
                files.aux,
                [
                    row(raw, _ticket(item, groups, labels))
                    for raw, item in page_items(path, None, "Freshdesk", "tickets")
                ],
                COLUMNS,
                "Freshdesk API ticket pages (a JSON list of tickets, include=stats)",
            )
            for path in files.data
        ]


def _status(code: Any, labels: dict[str, str]) -> str | None:
    if code in STATUS:
        return STATUS[code]
    label = labels.get(str(code), "").lower()
    return next((canon for word, canon in CUSTOM_WORDS.items() if word in label), "open")


def _ticket(item: Any, groups: dict[str, str], labels: dict[str, str]) -> Any:
    if not isinstance(item, dict):
        return item
    record: dict[str, Any] = {key: text(item.get(field)) for key, field in FIELDS.items()}
    stats = item.get("stats") if isinstance(item.get("stats"), dict) else {}
    group = text(item.get("group_id"))
    record.update(
        status=_status(item.get("status"), labels),
        freshdesk_status=text(labels.get(str(item.get("status")), item.get("status"))),
        priority=PRIORITY.get(item.get("priority")),
        channel=SOURCE.get(item.get("source"), text(item.get("source"))),
        group_name=groups.get(group or "", group),
        freshdesk_group_id=group,
        solved_at=stats.get("resolved_at") or stats.get("closed_at"),
        first_reply_at=stats.get("first_responded_at"),
    )
    return record
