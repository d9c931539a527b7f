"""Find export days: the `<YYYY-MM-DD>` folders under the exports root and each day's files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tasks.adapters import CANONICAL, get_adapter
from tasks.adapters.canonical import find_files
from tasks.errors import BacklogError

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# a folder meant as a day but named otherwise: 2026-3-2, 20260302, 2026_03_02, 02.03.2026
LIKE_A_DAY = re.compile(r"\d{4}[-_./]?\d{1,2}[-_./]?\d{1,2}|\d{1,2}[-_./]\d{1,2}[-_./]\d{4}")


@dataclass(frozen=True)
class ExportDay:
    """One day's export folder and the files found in it, by entity."""

    export_date: date
    folder: Path
    files: dict[str, Path]
    source: str = "canonical"
    vendor_files: tuple[Path, ...] = ()
    vendor_aux: tuple[Path, ...] = ()


def discover_exports(
    root: Path, start: date | None = None, end: date | None = None, source: str = "canonical"
) -> list[ExportDay]:
    """The export folders under `root`, oldest first, optionally within [start, end].

    `source` (canonical, zendesk, freshdesk, mapping:<file.toml>) decides which
    files of a folder are read.
    """
    if not root.is_dir():
        raise BacklogError(
            f"Export folder {root} does not exist; pass --exports with the folder that "
            "holds one <YYYY-MM-DD> folder per day."
        )
    found = sorted(p for p in root.iterdir() if p.is_dir() and DAY_FOLDER.match(p.name))
    if not found:
        _check_layout(root)
    days = []
    for folder in found:
        try:
            export_date = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if (start and export_date < start) or (end and export_date > end):
            continue
        days.append(_export_day(export_date, folder, source))
    return days


def _check_layout(root: Path) -> None:
    """An exports folder without a single day folder: stop with one sentence when it is a
    day's folder itself, holds the files of a day directly, or names its days otherwise."""
    entries = sorted(root.iterdir())
    if DAY_FOLDER.match(root.name):
        raise BacklogError(
            f"Export folder {root} is one day's folder; pass --exports {root.parent}, the "
            "folder that holds one <YYYY-MM-DD> folder per day."
        )
    files = [p.name for p in entries if p.is_file() and p.name.lower().startswith("tickets")]
    if files:
        raise BacklogError(
            f"Export folder {root} holds {files[0]} directly; put each day's files in a "
            f"folder named for the day ({root / '<YYYY-MM-DD>' / files[0]})."
        )
    misnamed = [p.name for p in entries if p.is_dir() and LIKE_A_DAY.search(p.name)]
    if misnamed:
        shown = ", ".join(misnamed[:3]) + (" ..." if len(misnamed) > 3 else "")
        raise BacklogError(
            f"Export folder {root} has no day folder named YYYY-MM-DD ({shown} "
            f"{'is' if len(misnamed) == 1 else 'are'} not); rename each day's folder to its "
            "date as YYYY-MM-DD, e.g. 2026-03-02."
        )


def _export_day(export_date: date, folder: Path, source: str) -> ExportDay:
    """A day's folder and its files, found as the source lays them out."""
    if source == CANONICAL:
        return ExportDay(export_date, folder, find_files(folder))
    found = get_adapter(source).find_files(folder)
    return ExportDay(export_date, folder, {}, source, found.data, found.aux)


def export_day(root: Path, day: date, source: str = "canonical") -> ExportDay:
    """The export folder of one day, or a clear error when it is not there."""
    found = discover_exports(root, day, day, source)
    if not found:
        raise BacklogError(
            f"No export for {day} under {root}; expected a folder {root / day.isoformat()} "
            "holding tickets.csv, tickets.jsonl or tickets.parquet."
        )
    return found[0]
