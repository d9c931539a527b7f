"""The Block Kit digest: order, links, redaction, Slack's limits, the fallback, its files."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from typing import Any

import pytest

from tasks.render import mrkdwn
from tasks.render.blocks import build_payload, write_payload
from tasks.render.preview import render_preview_html
from tests.support.digests import make_digest

TEMPLATE = "https://acme.zendesk.com/agent/tickets/{ticket_id}"


def texts(payload: dict[str, Any]) -> list[str]:
    """Every piece of text in the blocks, in order."""
    out = []
    for block in [*payload["blocks"], *(payload.get("thread") or {}).get("blocks", [])]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return out


def assert_within_slack_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
    assert 0 < len(payload["text"]) <= 3000


def test_sections_come_in_the_standup_order():
    payload = build_payload(make_digest(), ticket_url_template=TEMPLATE)
    assert payload["blocks"][0]["type"] == "header"
    assert payload["blocks"][0]["text"]["text"] == "Support backlog · Tue 3 Mar 2026"
    joined = "\n".join(texts(payload))
    markers = [
        "*Backlog: 296 open*",  # the headline first: size, direction, what to act on
        "*Growing*: ",  # the direction; the alert below says since when
        "*Act on:* Inflow has been above outflow",  # the first alert
        "*Flow, 7-day average*",
        "*First meaningful response*",
        "first reply",
        "*SLA*",
        "*Reopen rate (7 d)*",
        "*Recontact (same issue)*",
        "In the thread",
        "Data quality *warn*",
        # the thread reply: the lists
        "*Work next*",
        "Stale: nudge 3 tickets",
        "*Batch these*",
        "*Knowledge-base candidates*",
        "*Drivers (last 7 days)*",
        "*Aging*",
    ]
    positions = [joined.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert "+17" in joined
    assert "-11" in joined
    assert "7.2 days of work" in joined
    assert "Hi, are you still seeing this?" in joined
    assert "same driver in 72 h" in joined
    assert_within_slack_limits(payload)


def test_no_alerts_means_no_alert_section_and_a_draining_line():
    flow = {**make_digest()["flow"], "inflow_above_outflow_since": None, "days_to_drain": 42.4}
    payload = build_payload(make_digest(alerts=[], flow=flow))
    joined = "\n".join(texts(payload))
    assert ":rotating_light:" not in joined
    assert "nothing crossed a threshold" in joined
    assert "about 42 days to empty" in joined


def test_ticket_ids_link_through_the_template():
    payload = build_payload(make_digest(), ticket_url_template=TEMPLATE)
    joined = "\n".join(texts(payload))
    assert "<https://acme.zendesk.com/agent/tickets/T1|#T1>" in joined
    assert "<https://acme.zendesk.com/agent/tickets/1001100|#1001100>" in joined
    plain = "\n".join(texts(build_payload(make_digest())))
    assert "#T1" in plain
    assert "<http" not in plain


def test_long_numeric_ticket_ids_are_not_mistaken_for_phone_numbers():
    digest = make_digest(work_next=[{"ticket_id": "1234567890", "score": 1, "reasons": []}])
    joined = "\n".join(texts(build_payload(digest, ticket_url_template=TEMPLATE)))
    assert "<https://acme.zendesk.com/agent/tickets/1234567890|#1234567890>" in joined


def test_odd_ticket_ids_are_url_quoted():
    digest = make_digest(work_next=[{"ticket_id": "A B/1", "score": 1, "reasons": []}])
    joined = "\n".join(texts(build_payload(digest, ticket_url_template=TEMPLATE)))
    assert "<https://acme.zendesk.com/agent/tickets/A%20B%2F1|#A B/1>" in joined


def test_empty_lists_are_left_out_and_missing_keys_do_not_break_it():
    digest = make_digest(
        work_next=[],
        stale={"count": 0, "ticket_ids": []},
        batches=[],
        kb_candidates=[],
        merge_candidates=[],
    )
    joined = "\n".join(texts(build_payload(digest)))
    for absent in ("Work next", "Stale", "Batch these", "Knowledge-base", "duplicates"):
        assert absent not in joined
    minimal = build_payload({"date": "2026-03-03", "timezone": "UTC"})
    assert_within_slack_limits(minimal)
    assert "n/a" in "\n".join(texts(minimal))


def test_two_hundred_of_everything_stays_within_slack_limits():
    long_name = "very-long-driver-name-" * 20
    digest = make_digest(
        drivers=[
            {
                "driver": f"{long_name}{i}",
                "tickets_7d": 500 - i,
                "baseline_weekly": 3.0,
                "share_7d": 0.01,
                "growth": None if i % 7 == 0 else 1.5,
                "spike": i == 199,
            }
            for i in range(200)
        ],
        work_next=[
            {"ticket_id": f"W{i}", "score": 99 - i / 10, "reasons": ["x" * 300, "urgent"]}
            for i in range(200)
        ],
        stale={"count": 2000, "ticket_ids": [f"S{i}" for i in range(2000)], "nudge": "n " * 2000},
        batches=[
            {
                "driver": f"d{i}",
                "open_tickets": 300,
                "ticket_ids": [f"B{i}-{j}" for j in range(300)],
            }
            for i in range(200)
        ],
        kb_candidates=[
            {
                "candidate_id": f"kb-{i}",
                "title": "t" * 400,
                "tickets": 50,
                "ticket_ids": [f"K{j}" for j in range(50)],
                "status": "new",
            }
            for i in range(200)
        ],
        merge_candidates=[
            {"requester_id": f"r{i}", "ticket_ids": [f"M{i}a", f"M{i}b"], "reason": "r" * 200}
            for i in range(200)
        ],
        alerts=[
            {"name": f"a{i}", "value": i, "threshold": 0, "message": "m" * 500} for i in range(200)
        ],
        data_quality={
            "status": "warn",
            "rows_loaded": 1,
            "rows_quarantined": 1,
            "checks_failed": ["c" * 900] * 200,
        },
    )
    for max_items in (5, 20):
        payload = build_payload(digest, ticket_url_template=TEMPLATE, max_list_items=max_items)
        assert_within_slack_limits(payload)
        joined = "\n".join(texts(payload))
        assert "and 195 more" in joined or "more_" in joined
        assert f"and {2000 - max_items:,} more" in joined  # stale ids, grouped
        assert f"and {300 - max_items} more" in joined  # a batch's ids
        assert re.search(r"and \d+ more$", payload["blocks"][-1]["elements"][0]["text"])
    five = "\n".join(texts(build_payload(digest, max_list_items=5)))
    assert "and 195 more" in five  # drivers and work next, cut at five
    assert f"{long_name}199" in five  # the one spike is shown first, not hidden in "more"


def test_block_count_is_capped_at_fifty(monkeypatch: pytest.MonkeyPatch):
    many = [{"type": "divider"}] * 80
    capped = mrkdwn.within_block_limit(many)
    assert len(capped) == 50
    assert capped[-1]["type"] == "context"
    assert "31 more" in capped[-1]["elements"][0]["text"]


def test_clip_cuts_at_a_line_and_never_inside_a_link():
    text = "a" * 2990 + "\n" + "b" * 100
    assert mrkdwn.clip(text, 3000) == "a" * 2990 + "…"
    one_line = "x" * 2980 + " <https://example.com/t/1|#1>"
    clipped = mrkdwn.clip(one_line, 3000)
    assert len(clipped) <= 3000
    assert clipped.count("<") == clipped.count(">")


def test_personal_data_is_redacted_from_everything_posted():
    email, phone = "jane.doe@example.com", "+44 20 7946 0958"
    digest = make_digest(
        drivers=[
            {
                "driver": f"billing {email}",
                "tickets_7d": 12,
                "baseline_weekly": 1,
                "share_7d": 0.1,
                "growth": 12.0,
                "spike": True,
            }
        ],
        work_next=[{"ticket_id": "T1", "score": 90, "reasons": [f"customer said call {phone}"]}],
        kb_candidates=[
            {
                "candidate_id": "kb-1",
                "title": f"Mail {email} bounces",
                "tickets": 5,
                "ticket_ids": ["K1"],
                "status": "new",
            }
        ],
        merge_candidates=[{"requester_id": email, "ticket_ids": ["T8", "T9"], "reason": phone}],
        alerts=[{"name": "x", "value": 1, "threshold": 0, "message": f"Spike from {email}"}],
        stale={"count": 1, "ticket_ids": ["T3"], "nudge": f"Call us on {phone}"},
    )
    payload = build_payload(digest, ticket_url_template=TEMPLATE)
    dumped = json.dumps(payload, ensure_ascii=False)
    assert email not in dumped
    assert "jane.doe" not in dumped
    assert phone not in dumped
    assert "7946" not in dumped
    assert "[email]" in dumped
    assert "[phone]" in dumped
    html = render_preview_html(payload)
    assert email not in html
    assert phone not in html


def test_mrkdwn_control_characters_are_escaped():
    digest = make_digest(
        drivers=[
            {
                "driver": "<!channel> & <script>",
                "tickets_7d": 1,
                "baseline_weekly": 1,
                "share_7d": 0.1,
                "growth": 1.0,
                "spike": False,
            }
        ]
    )
    joined = "\n".join(texts(build_payload(digest)))
    assert "&lt;!channel&gt; &amp; &lt;script&gt;" in joined
    assert "<!channel>" not in joined
    assert "<script>" not in render_preview_html(build_payload(digest))


def test_text_fallback_says_the_essentials_in_plain_words():
    payload = build_payload(make_digest(), ticket_url_template=TEMPLATE)
    text = payload["text"]
    assert text.startswith("Support backlog 2026-03-03: 296 open (+17 today, -11 in 7 days)")
    # the alert says the growth; the fallback does not say it a second time
    assert "Inflow above outflow since" not in text
    assert "1 alert: Inflow has been above outflow for 4 days" in text
    assert "<http" not in text
    assert "\n" not in text


def test_write_payload_writes_json_and_a_readable_preview(tmp_path):
    payload = build_payload(make_digest(), ticket_url_template=TEMPLATE)
    paths = write_payload(payload, tmp_path / "out", date(2026, 3, 3))
    assert [p.name for p in paths] == [
        "digest-2026-03-03.blocks.json",
        "digest-2026-03-03.blocks.html",
    ]
    assert json.loads(paths[0].read_text(encoding="utf-8")) == payload
    html = paths[1].read_text(encoding="utf-8")
    assert "<div class='h'>Support backlog · Tue 3 Mar 2026</div>" in html
    assert "<b>Backlog: 296 open</b>" in html
    assert "<a href='https://acme.zendesk.com/agent/tickets/T1'>#T1</a>" in html
    assert "<span class='q'>" in html  # the nudge as a quote
    assert "🚨" in html
    assert (
        f"Slack preview · message {len(payload['blocks'])}/10 blocks · thread reply "
        f"{len(payload['thread']['blocks'])}/50 blocks · longest section "
    ) in html
    assert "Thread · 1 reply" in html


def test_payload_is_deterministic():
    digest = make_digest()
    assert build_payload(copy.deepcopy(digest)) == build_payload(copy.deepcopy(digest))


def test_the_first_alert_is_the_headline_and_the_others_follow():
    alerts = [
        {"name": "sla_breached", "value": 0.6, "threshold": 0.25, "message": "60% past SLA."},
        {"name": "reopen_rate", "value": 0.2, "threshold": 0.15, "message": "Reopens 20%."},
        {"name": "spike", "value": 12, "threshold": 10, "message": "Spike in refund."},
    ]
    payload = build_payload(make_digest(alerts=alerts))
    main = "\n".join(texts({"blocks": payload["blocks"]}))
    assert main.count("60% past SLA.") == 1  # said once, as what to act on
    assert ":rotating_light: *Act on:* 60% past SLA." in main
    assert "*2 more alerts*\n• Reopens 20%.\n• Spike in refund." in main
    assert len(payload["blocks"]) <= 10


def test_the_reopen_rate_is_flagged_against_the_configured_limit():
    """The flag follows the digest's reopen-rate alert (its configured threshold), not a
    fixed 15%: 18% under a 20% limit is not flagged; 12% over a 10% limit is."""

    def reopen_field(digest: dict[str, Any]) -> str:
        payload = build_payload(digest)
        return next(t for t in texts(payload) if t.startswith("*Reopen rate (7 d)*"))

    rates = make_digest()["rates"]
    assert reopen_field(make_digest(rates={**rates, "reopen_rate_7d": 0.18}, alerts=[])) == (
        "*Reopen rate (7 d)*\n18% of 194 solved"
    )
    crossed = [{"name": "reopen_rate", "value": 0.12, "threshold": 0.1, "message": "Reopens."}]
    flagged = reopen_field(make_digest(rates={**rates, "reopen_rate_7d": 0.12}, alerts=crossed))
    assert flagged.startswith("*Reopen rate (7 d)* :warning:\n12% of 194")
