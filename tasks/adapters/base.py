"""What every source reader shares: a load unit of canonical rows, a day's files, the protocol."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CANONICAL = "canonical"
MAPPING_PREFIX = "mapping:"


@dataclass
class SourceRow:
    """One canonical record read from a vendor file, or why it could not be read.

    `record` holds canonical keys (plus vendor extras, kept in `extra`); `problem`
    set means the row is quarantined as not well formed; `raw_text` is the item as
    in the file (a JSON object, a CSV line).
    """

    raw_text: str
    record: dict[str, Any] | None
    problem: str | None = None
    line_number: int | None = None


@dataclass
class LoadUnit:
    """The canonical rows of one entity read from one file: one ledger row."""

    entity: str
    path: Path
    sha256: str
    rows: list[SourceRow]
    columns: list[str]
    expected: str
    renamed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DayFiles:
    """A source's files in one day's folder: those that yield rows, and auxiliary ones."""

    data: tuple[Path, ...]
    aux: tuple[Path, ...] = ()


class Adapter(Protocol):
    """What a vendor source does with a day's folder."""

    name: str

    def find_files(self, folder: Path) -> DayFiles:
        """The day's files of this source; a clear error when there is none."""
        ...

    def entities(self, path: Path) -> tuple[str, ...]:
        """The entities (tickets, events) one data file yields, in load order."""
        ...

    def read_day(self, files: DayFiles, hashes: dict[Path, str]) -> list[LoadUnit]:
        """Every load unit of the day, tickets before events."""
        ...


def unit_sha256(file_sha: str, aux_hashes: list[str]) -> str:
    """The fingerprint of a unit: its file's sha256, folded with the auxiliary files'."""
    if not aux_hashes:
        return file_sha
    return hashlib.sha256(":".join([file_sha, *aux_hashes]).encode()).hexdigest()


def glob_files(folder: Path, patterns: list[str] | tuple[str, ...]) -> list[Path]:
    """The files of a folder matching any of the glob patterns, sorted by name."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                found[path] = None
    return sorted(found)
