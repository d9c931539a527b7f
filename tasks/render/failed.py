"""What a failed day's digest says, in every rendering: the failure first, once, then whose figures.

A digest whose day did not load (a fatal file, no export) carries `figures_as_of`: the
last complete day whose figures it shows, or null when no day is complete. Its first
line is the failure (what, where, what to do: `data_quality.summary`); the figures are
labelled with their day; the data-quality section does not repeat the sentence.
"""

from __future__ import annotations

from typing import Any

NO_FIGURES = "No day has loaded completely yet, so there are no figures to show."


def is_failed_day(d: dict[str, Any]) -> bool:
    """Whether the digest is of a day whose export did not load."""
    return "figures_as_of" in d


def has_figures(d: dict[str, Any]) -> bool:
    """Whether the digest shows figures (a complete day, or a failed one after one)."""
    return not is_failed_day(d) or d["figures_as_of"] is not None


def first_line(d: dict[str, Any]) -> str:
    """The failure, as the digest's first line: what failed, where, what to do."""
    dq = d.get("data_quality") or {}
    return str(dq.get("summary") or f"Data for {d['date']} did not load.")


def figures_label(d: dict[str, Any]) -> str:
    """Whose figures the digest shows, for its title (empty for a complete day)."""
    if not is_failed_day(d):
        return ""
    if d["figures_as_of"] is None:
        return ": no figures"
    return f": figures of {d['figures_as_of']}, the last complete day"


def day_word(d: dict[str, Any]) -> str:
    """The day the figures speak of: "today", or "on <day>" on a failed day."""
    return f"on {d['figures_as_of']}" if is_failed_day(d) else "today"


def other_checks(d: dict[str, Any]) -> list[str]:
    """The day's failed checks without the failure already said in the first line."""
    checks = list((d.get("data_quality") or {}).get("checks_failed") or [])
    if not is_failed_day(d):
        return checks
    said = first_line(d)
    return [check for check in checks if check.rstrip(".") not in said]


def quality_note(d: dict[str, Any]) -> str:
    """The data-quality line of a failed day, pointing at the first line."""
    shown = d["figures_as_of"]
    where = f"the figures above are those of {shown}" if shown else "there are no figures yet"
    return f"{d['date']} did not load (see the first line); {where}."
