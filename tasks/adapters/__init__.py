"""Source readers: a day's export folder, canonical or in a helpdesk's shape -> canonical records.

The canonical files are read by `canonical` through the text readers of
`files`. A vendor adapter finds a source's files in a day's folder and turns each
into one or more load units (`base.LoadUnit`): the canonical records of one entity
read from one file, each with the text it was read from, so the ingest validates,
quarantines and ledgers them exactly as canonical files (rows read = loaded +
quarantined, per file and entity). Vendor specifics are data: Zendesk's field tables
live in `zendesk`; every CSV/JSONL helpdesk (Freshdesk, ServiceNow, Jira Service
Management, an in-house tool) is a mapping file read by `mapping` (see
`mappings/README.md`).
"""

from __future__ import annotations

from pathlib import Path

from tasks.adapters.base import (
    CANONICAL,
    MAPPING_PREFIX,
    Adapter,
    DayFiles,
    LoadUnit,
    SourceRow,
    glob_files,
    unit_sha256,
)
from tasks.adapters.freshdesk_api import FreshdeskAdapter
from tasks.adapters.jira import JiraAdapter
from tasks.adapters.mapping import BUILTIN_MAPPINGS, MAPPINGS_DIR, MappingAdapter, load_mapping
from tasks.adapters.servicenow import ServiceNowAdapter
from tasks.adapters.zendesk import ZendeskAdapter
from tasks.errors import BacklogError

VENDOR_SOURCES = ("zendesk", *BUILTIN_MAPPINGS, "jira", "servicenow")

__all__ = [
    "BUILTIN_MAPPINGS",
    "CANONICAL",
    "MAPPINGS_DIR",
    "MAPPING_PREFIX",
    "VENDOR_SOURCES",
    "Adapter",
    "DayFiles",
    "LoadUnit",
    "SourceRow",
    "get_adapter",
    "glob_files",
    "unit_sha256",
]


def get_adapter(source: str) -> Adapter:
    """The adapter of a `--source` value (canonical has none: `canonical` reads it)."""
    if source == "zendesk":
        return ZendeskAdapter()
    if source == "freshdesk":
        return FreshdeskAdapter()  # API pages (`backlog pull`), else the CSV export
    if source == "jira":
        return JiraAdapter()  # the search API's pages (`backlog pull --source jira`)
    if source == "servicenow":
        return ServiceNowAdapter()  # Table API pages (`backlog pull --source servicenow`)
    if source in BUILTIN_MAPPINGS:
        return MappingAdapter(load_mapping(MAPPINGS_DIR / BUILTIN_MAPPINGS[source]))
    if source.startswith(MAPPING_PREFIX):
        return MappingAdapter(load_mapping(Path(source[len(MAPPING_PREFIX) :])))
    raise BacklogError(
        f"Export source {source!r} is not supported; use canonical, "
        f"{', '.join(VENDOR_SOURCES)} or mapping:<file.toml>."
    )
