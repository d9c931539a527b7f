"""Work-next reasons as a lead reads them: what all items share said once, each line its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.render import format as fmt


@dataclass(frozen=True)
class WorkList:
    """The work-next list split for reading.

    Attributes:
        shared: reasons every item carries (said once, above the list).
        driver_sizes: each driver named in the list and its tickets this week (said once).
        reasons: per item, in order, the reasons particular to it (a driver by its name).
    """

    shared: list[str]
    driver_sizes: dict[str, int]
    reasons: list[list[str]]


def split_reasons(items: Sequence[dict[str, Any]]) -> WorkList:
    """What all work-next items share, the drivers' sizes, and each item's own reasons.

    A reason every item carries is lifted out (when there are at least two items); an
    item's driver reason (`driver_reason` of its `driver` and `driver_tickets_7d`, the
    columns of fct_work_next) reads "<driver> driver" on its line and its weekly size,
    from the column, is said once.
    """
    lists = [_reasons(item) for item in items]
    shared: list[str] = []
    if len(lists) >= 2:
        shared = [r for r in lists[0] if all(r in other for other in lists[1:])]
    sizes: dict[str, int] = {}
    own: list[list[str]] = []
    for item, reasons in zip(items, lists, strict=True):
        driver, size = item.get("driver"), item.get("driver_tickets_7d")
        worded = driver_reason(driver, size) if driver and fmt.is_number(size) else None
        line: list[str] = []
        for reason in reasons:
            if reason in shared:
                continue
            if reason == worded:
                sizes.setdefault(driver, int(size))
                line.append(f"{driver} driver")
            else:
                line.append(reason)
        own.append(line)
    return WorkList(shared=shared, driver_sizes=sizes, reasons=own)


def driver_reason(driver: str, tickets_7d: int) -> str:
    """The driver reason in words, its size grouped as every count is shown: fct_work_next
    stores `driver <name>` and the size as a number (`driver_tickets_7d`)."""
    return f"driver {driver}: {fmt.count_tickets(tickets_7d)} this week"


def summary(work: WorkList) -> str:
    """The line said once above the list: shared reasons and driver sizes ("" if none)."""
    parts = []
    if work.shared:
        parts.append("all: " + "; ".join(work.shared))
    if work.driver_sizes:
        # largest first, ties by name: the order of the drivers section
        ranked = sorted(work.driver_sizes.items(), key=lambda item: (-item[1], item[0]))
        sizes = ", ".join(f"{d} {fmt.count(n)}" for d, n in ranked)
        parts.append(f"drivers this week: {sizes} tickets")
    return " · ".join(parts)


def _reasons(item: dict[str, Any]) -> list[str]:
    """An item's reasons as a list of non-empty text."""
    reasons = item.get("reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    return [str(r) for r in reasons if r]
