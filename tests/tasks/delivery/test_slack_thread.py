"""The short message and its thread reply, through the real slack_sdk against a fake Slack.

One top-level message of at most 10 blocks and one reply in its thread holding the lists;
a re-run edits both (chat.update); a failure leaves the day pending and the next run
sends what is missing, once; a webhook gets the short message and the lists' file path.
"""

from __future__ import annotations

import json

import pytest

from tasks.delivery.slack import deliver, deliver_pending, pending_days
from tasks.errors import BacklogError
from tasks.render.blocks import MAX_MAIN_BLOCKS, build_payload
from tests.support.digests import make_digest
from tests.support.fake_slack import FakeSlack
from tests.support.slack import DAY, FAST, bot, hook, ledger_row


def replies(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages.values() if m.get("thread_ts")]


def test_the_message_is_short_and_the_lists_are_in_the_thread():
    payload = build_payload(make_digest())
    main, thread = payload["blocks"], payload["thread"]["blocks"]
    assert len(main) <= MAX_MAIN_BLOCKS
    main_text, thread_text = json.dumps(main), json.dumps(thread)
    for in_main in (
        "*Backlog: 296 open*",
        "*Act on:*",
        "*Recontact (same issue)*",
        "In the thread",
    ):
        assert in_main in main_text
    for in_thread in ("*Work next*", "Stale: nudge", "*Batch these*", "*Drivers (last 7 days)*"):
        assert in_thread in thread_text
        assert in_thread not in main_text
    # the response field leads with the first meaningful response, the first reply second
    [fields] = [b for b in main if b.get("fields")]
    [response] = [f["text"] for f in fields["fields"] if "response" in f["text"]]
    assert response.index("First meaningful response") < response.index("first reply")


def test_post_then_rerun_edits_the_message_and_its_reply(fake, con):
    target = bot(fake)
    first = deliver(con, DAY, build_payload(make_digest()), target)
    assert first.action == "posted"
    [message] = fake.top_level_messages()
    [reply] = replies(fake)
    assert reply["thread_ts"] == message["ts"]
    assert reply["channel"] == "C0DIGEST"  # the channel id Slack answered with
    assert "*Work next*" in json.dumps(reply["blocks"])
    row = ledger_row(con)
    assert (row["status"], row["ts"], row["thread_ts"]) == ("posted", first.ts, reply["ts"])

    changed = build_payload(make_digest(stale={"count": 4, "ticket_ids": ["1", "2", "3", "4"]}))
    again = deliver(con, DAY, changed, target)
    assert again.action == "updated"
    assert len(fake.calls("chat.postMessage")) == 2  # the message and its reply, once each
    assert sorted(u.body["ts"] for u in fake.calls("chat.update")) == sorted(
        [message["ts"], reply["ts"]]
    )
    assert "nudge 4 tickets" in json.dumps(fake.messages[("C0DIGEST", reply["ts"])]["blocks"])
    assert ledger_row(con)["status"] == "updated"


def test_a_failed_reply_leaves_the_day_pending_and_is_sent_once_later(fake, con):
    target = bot(fake)
    # the first postMessage (the message) succeeds; every later one (the reply) fails
    payload = build_payload(make_digest())
    original = fake._chat_postMessage
    calls = {"n": 0}

    def post_then_fail(body):
        calls["n"] += 1
        if body.get("thread_ts") and calls["n"] < 10:
            return {"ok": False, "error": "fatal_error"}
        return original(body)

    fake._chat_postMessage = post_then_fail
    with pytest.raises(BacklogError) as caught:
        deliver(con, DAY, payload, target, **FAST)
    assert "chat.postMessage" in str(caught.value)
    assert len(fake.top_level_messages()) == 1
    assert replies(fake) == []
    row = ledger_row(con)
    assert (row["status"], row["thread_ts"]) == ("pending", None)
    assert row["ts"] == fake.top_level_messages()[0]["ts"]
    assert pending_days(con, target) == [DAY]

    calls["n"] = 100  # Slack is back
    [sent] = deliver_pending(con, target, **FAST)
    assert sent.action == "updated"  # the message was edited, not posted again
    assert len(fake.top_level_messages()) == 1
    assert len(replies(fake)) == 1
    assert ledger_row(con)["status"] == "updated"
    assert deliver_pending(con, target) == []


def test_a_webhook_gets_the_short_message_and_the_lists_file(fake, con):
    target = hook(fake)
    path = "/srv/backlog/out/digest-2026-03-03.md"
    deliver(con, DAY, build_payload(make_digest()), target, lists_path=path)
    [call] = fake.calls("webhook")
    blocks = call.body["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert len(blocks) <= MAX_MAIN_BLOCKS
    text = json.dumps(blocks)
    assert path in text
    assert "In the thread" not in text
    assert "*Work next*" not in text
    assert "thread" not in json.loads(ledger_row(con)["payload"])
