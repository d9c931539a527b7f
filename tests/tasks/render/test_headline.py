"""The digest's opening says each thing once: the growth either in the state line or in
the inflow-above-outflow alert that names it, never both (Slack headline, notification
text, Markdown)."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tests.support.digests import make_digest

SINCE = "2026-02-28"
GROWTH_ALERT = {
    "name": "inflow_above_outflow",
    "value": 4,
    "threshold": 3,
    "message": f"Inflow has been above outflow for 4 days (since {SINCE}): "
    "14.0 in + 5.0 reopened = 19.0 vs 2.0 out per day. Act now.",
}
SLA_ALERT = {
    "name": "sla_breached",
    "value": 0.5,
    "threshold": 0.25,
    "message": "50% of the backlog is past its SLA target.",
}
QUALITY_ALERT = {
    "name": "data_quality",
    "value": "warn",
    "threshold": "ok",
    "message": "Data quality is WARN: 3 rows quarantined.",
}


def headline(d: dict[str, Any]) -> str:
    """The headline section's text (the block after the header)."""
    return build_payload(d)["blocks"][1]["text"]["text"]


@pytest.mark.parametrize(
    "alerts",
    [[GROWTH_ALERT], [GROWTH_ALERT, SLA_ALERT], [QUALITY_ALERT, GROWTH_ALERT]],
    ids=["only", "first", "second"],
)
def test_the_growth_alert_is_the_one_place_that_says_since_when(alerts):
    d = make_digest(alerts=alerts)
    text = headline(d)
    lines = text.split("\n")
    assert lines[1] == "*Growing*: 331 projected in 14 days"
    assert text.count(SINCE) == (1 if alerts[0] is GROWTH_ALERT else 0)
    payload = build_payload(d)
    assert payload["text"].count(SINCE) == 1  # the notification: the alert's words
    markdown = render_markdown(d)
    assert markdown.count(SINCE) == 1
    assert "Inflow above outflow since" not in markdown


@pytest.mark.parametrize("history_days", [30, 3])
def test_without_the_alert_the_state_line_says_since_when(history_days):
    d = make_digest(alerts=[SLA_ALERT])
    d["flow"]["history_days"] = history_days
    lines = headline(d).split("\n")
    assert f"inflow above outflow since {SINCE}" in lines[1]
    assert lines[2] == ":rotating_light: *Act on:* 50% of the backlog is past its SLA target."
    assert f"Inflow above outflow since {SINCE}" in build_payload(d)["text"]
    assert f"Inflow above outflow since {SINCE}" in render_markdown(d)


def test_draining_and_quiet_days_are_unchanged():
    d = make_digest(alerts=[])
    d["flow"] = {**d["flow"], "inflow_above_outflow_since": None, "days_to_drain": 12.0}
    lines = headline(d).split("\n")
    assert lines[1].startswith("*Draining*: about 12 days to empty")
    assert lines[2].startswith(":dart: *Act on:* nothing crossed a threshold")
