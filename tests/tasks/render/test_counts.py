"""Every count and figure a reader sees has its thousands grouped ("12,416 breached"), in the
digest's Markdown, its Slack message and fallback, the alerts and the data-quality lines;
the digest's JSON keeps the raw numbers (the renderers format, the digest holds figures)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb
import pytest

from tasks.config import load_settings
from tasks.quality import status
from tasks.render import worklist
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tasks.reports.alerts import alerts_for_day
from tests.support.digests import alert_marts, make_digest

# a number of four or more digits not grouped, not part of an id (#1001100, kb-3f2a, a URL)
BARE = re.compile(r"(?<![\w#/=.,-])\d{4,}(?![\w,])")
DATES = re.compile(r"\d{4}-\d{2}-\d{2}|\b\d{1,2} [A-Z][a-z]{2} \d{4}\b")


def bare_numbers(text: str) -> list[str]:
    """The ungrouped numbers of 1,000 or more in `text` (dates left out)."""
    return BARE.findall(DATES.sub("", text))


def inflated(value: Any, key: str = "") -> Any:
    """The sample digest at a large organisation's scale: every count above 10,000 (ids
    kept), the daily averages and baselines above 8,000."""
    if isinstance(value, dict):
        return {k: inflated(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [inflated(v, key) for v in value]
    if isinstance(value, bool) or key.endswith(("_id", "_ids")):
        return value
    if isinstance(value, int):
        return value + 12_000 if value >= 0 else value - 12_000
    if isinstance(value, float) and key.endswith(("_avg", "_weekly")):
        return value + 8_000
    return value


def large_digest() -> dict[str, Any]:
    digest = inflated(make_digest())
    digest["work_next"][0].update(driver="refund", driver_tickets_7d=12042)
    digest["work_next"][0]["reasons"].append(worklist.driver_reason("refund", 12042))
    digest["stale"]["ticket_ids"] = [f"T{i}" for i in range(40)]
    return digest


def test_the_test_finds_a_bare_count_and_passes_a_grouped_one():
    assert bare_numbers("SLA: 12416 breached, 8096.6 in") == ["12416", "8096"]
    assert bare_numbers("SLA: 12,416 breached · 8,096.6 in · #1001100 on 2026-03-03") == []
    assert bare_numbers("<https://x/agent/tickets/1001100|#1001100> Tue 3 Mar 2026") == []


def test_the_markdown_groups_every_count():
    text = render_markdown(large_digest())
    assert "**12,296 open**" in text
    assert "SLA: 12,231 breached, 12,018 at risk" in text
    assert "drivers this week: refund 12,042 tickets" in text
    assert bare_numbers(text) == [], text


def test_the_slack_message_its_thread_and_its_fallback_group_every_count():
    payload = build_payload(large_digest(), max_list_items=5)
    texts = [payload["text"], payload["thread"]["text"]]
    for block in [*payload["blocks"], *payload["thread"]["blocks"]]:
        texts += [block["text"]["text"]] if "text" in block else []
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if "text" in e]
    shown = "\n".join(texts)
    assert "*Backlog: 12,296 open*" in shown
    assert "12,231 breached" in shown
    assert bare_numbers(shown) == [], shown


def test_the_alerts_group_their_counts():
    digest = large_digest()
    digest["data_quality"]["checks_failed"] = []
    with duckdb.connect() as con:
        alert_marts(con)
        digest["drivers"][1]["baseline_complete"] = True
        alerts = alerts_for_day(con, digest, load_settings())
    messages = " ".join(alert["message"] for alert in alerts)
    assert {"data_quality", "sla_breached", "spike"} <= {alert["name"] for alert in alerts}
    assert "12,002 rows quarantined" in messages
    assert bare_numbers(messages) == [], messages


def test_a_driver_reason_every_item_shares_is_grouped_too():
    reason = worklist.driver_reason("refund", 12042)
    items = [{"reasons": [reason], "driver": "refund", "driver_tickets_7d": 12042}] * 2
    assert worklist.summary(worklist.split_reasons(items)) == (
        "all: driver refund: 12,042 tickets this week"
    )


@pytest.mark.parametrize("day_status", ["ok", "warn"])
def test_the_data_quality_summary_groups_its_rows(day_status: str):
    summary = status._summary(date(2026, 3, 3), day_status, 13_422, 1_204, ["a check"])
    assert "13,422 rows loaded" in summary
    assert bare_numbers(summary) == []
