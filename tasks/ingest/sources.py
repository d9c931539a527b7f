"""The export sources a run can read: canonical, the vendor adapters, mappings."""

from pathlib import Path

from tasks.adapters import BUILTIN_MAPPINGS, CANONICAL, MAPPING_PREFIX, VENDOR_SOURCES, get_adapter
from tasks.adapters.mapping import load_mapping
from tasks.errors import BacklogError

SOURCES = (CANONICAL, *VENDOR_SOURCES)
SOURCE_HELP = (
    "Export format: canonical (see README.md), zendesk (Incremental Export JSON pages), "
    "freshdesk (ticket CSV export, or API pages from `backlog pull`), jira and servicenow "
    "(API pages from `backlog pull`), or mapping:<file.toml> (any other export; see "
    "mappings/README.md)."
)


def check_source(source: str) -> None:
    """Stop with a clear message for a source this version cannot read.

    A `mapping:<file.toml>` source is read and checked here, so a wrong mapping stops
    the run before anything is loaded.
    """
    if source in SOURCES:
        if source in BUILTIN_MAPPINGS:
            get_adapter(source)
        return
    if source.startswith(MAPPING_PREFIX) and source[len(MAPPING_PREFIX) :]:
        load_mapping(Path(source[len(MAPPING_PREFIX) :]))
        return
    raise BacklogError(
        f"Export source {source!r} is not supported; use one of: {', '.join(SOURCES)}, "
        "or mapping:<file.toml>."
    )
