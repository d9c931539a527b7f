"""What a vendor's pull returns, and the page checks every vendor shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.pull.days import DayFolder
from tasks.pull.http import MalformedPage, Page


@dataclass
class Tally:
    """Pages, records and the last cursor of one day's pull, by file stem."""

    pages: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    records_in_window: int = 0
    cursor: str | None = None
    rate_limit: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: DayFolder, stem: str, page: Page, items: list[Any]) -> None:
        """Write a page as returned (`<stem>-NNNN.json`) and count its items."""
        number = self.pages.get(stem, 0) + 1
        self.pages[stem] = number
        self.records[stem] = self.records.get(stem, 0) + len(items)
        folder.write(f"{stem}-{number:04d}.json", page.content)


def items(page: Page, key: str | None) -> list[Any]:
    """The list of records of a page (`page[key]`, or the page itself when `key` is None)."""
    found = (
        page.data if key is None else (page.data.get(key) if isinstance(page.data, dict) else None)
    )
    if not isinstance(found, list):
        shape = "a JSON list" if key is None else f'{{"{key}": [...]}}'
        raise MalformedPage(
            f"The page of GET {page.request} is not {shape} as the API documents it", page.request
        )
    return found
