"""Work-next reasons as a lead reads them: what all items share said once, each line its own."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.render import format as fmt

# a driver reason as the digest words it (`driver_reason`): "driver <name>: <n> tickets this week"
_DRIVER_REASON = re.compile(r"^driver (?P<driver>.+): (?P<count>[\d,]+) tickets this week$")


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

    A reason every item carries is lifted out (when there are at least two items); a
    driver reason reads "<driver> driver" on its line and its weekly size is said once.
    """
    lists = [[_grouped(reason) for reason in _reasons(item)] for item in items]
    shared: list[str] = []
    if len(lists) >= 2:
        shared = [r for r in lists[0] if all(r in other for other in lists[1:])]
    sizes: dict[str, int] = {}
    own: list[list[str]] = []
    for reasons in lists:
        line: list[str] = []
        for reason in reasons:
            if reason in shared:
                continue
            match = _DRIVER_REASON.match(reason)
            if match:
                sizes.setdefault(match["driver"], int(match["count"].replace(",", "")))
                line.append(f"{match['driver']} driver")
            else:
                line.append(reason)
        own.append(line)
    return WorkList(shared=shared, driver_sizes=sizes, reasons=own)


def driver_reason(driver: str, tickets_7d: int) -> str:
    """The driver reason in words, its size grouped as every count is shown: fct_work_next
    stores `driver <name>` and the size as a number (`driver_tickets_7d`)."""
    return f"driver {driver}: {fmt.count(tickets_7d)} tickets this week"


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


def _grouped(reason: str) -> str:
    """A driver reason with its count grouped as every count is shown ("1,204 tickets")."""
    match = _DRIVER_REASON.match(reason)
    if not match:
        return reason
    return driver_reason(match["driver"], int(match["count"].replace(",", "")))
