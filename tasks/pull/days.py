"""A pulled day on disk: its window in the report time zone, written whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

MANIFEST = "pull-manifest.json"


@dataclass(frozen=True)
class Window:
    """Day D in the report time zone as the instants [start, end)."""

    day: date
    start: datetime
    end: datetime

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())

    def holds(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


def day_window(day: date, timezone: str) -> Window:
    """[D 00:00, D+1 00:00) in `timezone` (23 or 25 hours on a DST change day)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return Window(day, start, end)


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 text or epoch seconds as an aware datetime (UTC when no offset)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, ZoneInfo("UTC"))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":" and "T" in text:
        text = text[:-2] + ":" + text[-2:]  # Jira's +0000
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=ZoneInfo("UTC"))


class DayFolder:
    """Write a day's pages into a hidden temporary folder, then rename it into place.

    Until `commit`, `<exports>/<D>` is untouched; a pull killed half-way leaves only the
    temporary folder, which the next pull of that day removes. An exception inside the
    `with` removes it at once: nothing is written for the day.
    """

    def __init__(self, exports: Path, day: date) -> None:
        self.final = exports / day.isoformat()
        self.temp = exports / f".pull-{day.isoformat()}.partial"
        self.old = exports / f".pull-{day.isoformat()}.replaced"
        self.files: list[str] = []

    def __enter__(self) -> DayFolder:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        for stale in (self.temp, self.old):
            shutil.rmtree(stale, ignore_errors=True)
        self.temp.mkdir()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)

    def write(self, name: str, content: bytes) -> None:
        """One page, byte for byte as the API returned it."""
        _write(self.temp / name, content)
        self.files.append(name)

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Write the manifest, then swap the folder in (a previous pull of D is replaced)."""
        _write(self.temp / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
        _fsync_dir(self.temp)
        if self.final.exists():
            os.rename(self.final, self.old)
        os.rename(self.temp, self.final)
        _fsync_dir(self.final.parent)
        shutil.rmtree(self.old, ignore_errors=True)
        return self.final


def _write(path: Path, content: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
