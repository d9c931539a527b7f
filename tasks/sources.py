"""Export sources the ingest understands (SPEC 3). Vendor adapters come with issue 4."""

from tasks.errors import BacklogError

SOURCES = ("canonical",)


def check_source(source: str) -> None:
    """Stop with a clear message for a source this version cannot read."""
    if source not in SOURCES:
        raise BacklogError(
            f"Export source {source!r} is not supported yet; use one of: {', '.join(SOURCES)}."
        )
