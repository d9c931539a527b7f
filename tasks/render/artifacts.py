"""What a run shows in Prefect's UI: stable artifact keys, and their redacted contents."""

from __future__ import annotations

import re
from typing import Any

from tasks.redact import redact
from tasks.render import format as fmt
from tasks.render.markdown import render_markdown

# Prefect artifact keys: lowercase letters, digits and dashes
_KEY = re.compile(r"^[a-z0-9-]+$")


def key(kind: str, period: str) -> str:
    """The artifact key of a kind for a day or week ("digest-2026-03-03", "review-2026-w09"):
    the same every run of that period, so Prefect's UI shows the history under one key."""
    made = f"{kind}-{period}".lower()
    if not _KEY.match(made):
        raise ValueError(f"{made!r} is not a Prefect artifact key (a-z, 0-9 and dashes only)")
    return made


def digest_markdown(digest: dict[str, Any]) -> str:
    """The digest's Markdown, the same text as `digest-<D>.md`, redacted once more."""
    return redact(render_markdown(digest)) or ""


def quality_table(digest: dict[str, Any]) -> list[dict[str, str]]:
    """The day's data quality as table rows (check, result): status, rows, each failure."""
    dq = digest.get("data_quality") or {}
    rows = [
        {"check": "status", "result": str(dq.get("status", fmt.NA))},
        {"check": "rows loaded", "result": fmt.count(dq.get("rows_loaded"))},
        {"check": "rows quarantined", "result": fmt.count(dq.get("rows_quarantined"))},
    ]
    rows += [
        {"check": "failed", "result": redact(str(check)) or ""}
        for check in dq.get("checks_failed") or []
    ]
    return rows


def review_markdown(pack: dict[str, Any]) -> str:
    """The review pack's key figures as a Markdown table (the figures only, no ticket text)."""
    lines = [
        f"# Support review {pack.get('week')}",
        "",
        f"| figure | {pack.get('week')} | {pack.get('previous_week')} | change | 4-week average |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kpi in pack.get("kpis") or []:
        few = " (few tickets)" if kpi.get("small_base") else ""
        lines.append(
            f"| {kpi['label']} | {kpi['text']} | {kpi['previous_text']} | "
            f"{kpi['change_text']}{few} | {kpi['avg_4w_text']} |"
        )
    if not pack.get("kpis"):
        lines.append(f"| status | {pack.get('status')} | | | |")
    return redact("\n".join(lines) + "\n") or ""
