"""Delivery through the real slack_sdk against a fake Slack on loopback.

Exactly once per (day, channel), update on re-run, the chart shared once, 429 and
5xx handling within a budget, auth errors at once, webhooks, and no secret in
anything we write.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from datetime import date

import pytest

from tasks.delivery.slack import SlackTarget, deliver, deliver_pending, pending_days, share_file
from tasks.errors import BacklogError
from tasks.render.blocks import build_payload, write_payload
from tests.support.digests import make_digest
from tests.support.fake_slack import Failure, FakeSlack
from tests.support.slack import DAY, FAST, TOKEN, bot, hook, ledger

PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100


def payload(**overrides) -> dict:
    return build_payload(make_digest(**overrides))


def top_posts(fake: FakeSlack) -> list:
    """chat.postMessage calls for the top-level message (not the lists' thread reply)."""
    return [c for c in fake.calls("chat.postMessage") if not (c.body or {}).get("thread_ts")]


# --------------------------------------------------------------------------- configuration


def test_from_env_reads_bot_or_webhook_and_none_when_unset():
    assert SlackTarget.from_env({}) is None
    target = SlackTarget.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "C1"})
    assert target is not None
    assert (target.mode, target.key, target.api_url) == ("bot", "C1", "https://slack.com/api/")
    proxied = SlackTarget.from_env(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "C1", "SLACK_API_URL": "http://h:1/api"}
    )
    assert proxied is not None
    assert proxied.api_url == "http://h:1/api/"
    webhook = SlackTarget.from_env({"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X"})
    assert webhook is not None
    assert webhook.mode == "webhook"
    assert webhook.key.startswith("webhook:")
    assert "services" not in webhook.key
    for configured in (target, webhook):
        shown = repr(configured) + str(configured) + repr([configured])
        assert TOKEN not in shown
        assert "services/T/B/X" not in shown


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SLACK_BOT_TOKEN": TOKEN}, "SLACK_CHANNEL is not"),
        ({"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#support"}, "must be a channel id"),
        ({"SLACK_CHANNEL": "C1"}, "SLACK_BOT_TOKEN is not"),
        ({"SLACK_WEBHOOK_URL": "file:///etc/passwd"}, "not an http(s) URL"),
    ],
)
def test_half_configured_slack_is_a_clear_error(env, says):
    with pytest.raises(BacklogError, match=r"^Slack: ") as caught:
        SlackTarget.from_env(env)
    assert says in str(caught.value)
    assert TOKEN not in str(caught.value)


# --------------------------------------------------------------------------- bot token


def test_post_then_rerun_updates_the_same_message(fake, con):
    target = bot(fake)
    first = deliver(con, DAY, payload(), target)
    assert (first.action, first.message_channel) == ("posted", "C0DIGEST")
    assert len(fake.top_level_messages()) == 1
    post = top_posts(fake)[0].body
    assert post["channel"] == "CALIAS"
    assert post["blocks"]
    assert post["text"]
    assert post["unfurl_links"] is False

    changed = payload(backlog={**make_digest()["backlog"], "open_total": 301})
    second = deliver(con, DAY, changed, target)
    third = deliver(con, DAY, changed, target)
    assert (second.action, third.action) == ("updated", "updated")
    assert len(top_posts(fake)) == 1
    # the message and its thread reply, edited on each re-run
    updates = fake.calls("chat.update")
    assert [u.body["channel"] for u in updates] == ["C0DIGEST"] * 4  # the returned id
    assert [u.body["ts"] == first.ts for u in updates] == [True, False, True, False]
    [message] = fake.top_level_messages()
    assert "*Backlog: 301 open*" in json.dumps(message["blocks"])
    [row] = ledger(con)
    assert (row["status"], row["ts"], row["message_channel"]) == ("updated", first.ts, "C0DIGEST")
    assert row["posted_at"] is not None
    assert row["updated_at"] is not None

    other_day = deliver(con, date(2026, 3, 4), payload(date="2026-03-04"), target)
    assert other_day.action == "posted"
    assert len(fake.top_level_messages()) == 2


def test_chart_is_uploaded_once_and_shared_in_the_thread(fake, con):
    target = bot(fake)
    first = deliver(con, DAY, payload(), target, chart_png=PNG)
    assert first.chart_uploaded
    assert first.chart_file_id
    [ticket] = fake.calls("files.getUploadURLExternal")
    assert int(ticket.body["length"]) == len(PNG)
    [upload] = fake.calls("upload")
    assert upload.raw == PNG
    stored = fake.files[first.chart_file_id]
    assert stored["shared"] == [("C0DIGEST", first.ts)]  # in the digest's thread

    again = deliver(con, DAY, payload(), target, chart_png=PNG)
    assert again.action == "updated"
    assert not again.chart_uploaded
    assert again.chart_file_id == first.chart_file_id
    assert len(fake.calls("files.getUploadURLExternal")) == 1
    assert len(fake.calls("upload")) == 1
    assert len(fake.calls("files.completeUploadExternal")) == 1
    assert len(fake.top_level_messages()) == 1
    assert ledger(con)[0]["chart_file_id"] == first.chart_file_id


def test_chart_upload_failure_keeps_the_chart_for_the_next_run(fake, con):
    target = bot(fake)
    fake.fail("upload", Failure(status=503), times=100)
    first = deliver(con, DAY, payload(), target, chart_png=PNG, **FAST)  # the digest is out
    assert first.action == "posted"
    assert not first.chart_uploaded
    assert first.chart_error.startswith(
        "The digest was posted, but the chart was not: Slack answered HTTP 503 on the file upload"
    )
    assert len(fake.top_level_messages()) == 1
    [row] = ledger(con)
    assert row["status"] == "posted"
    assert row["chart_file_id"] is None
    assert row["last_error"] == first.chart_error
    fake._failures.clear()
    result = deliver(con, DAY, payload(), target, chart_png=PNG, **FAST)
    assert result.action == "updated"
    assert result.chart_uploaded
    assert len(top_posts(fake)) == 1
    assert sum(1 for f in fake.files.values() if f["shared"]) == 1


def test_a_failed_post_stays_pending_and_is_sent_exactly_once_later(fake, con):
    target = bot(fake)
    fake.fail("chat.postMessage", Failure(status=500), times=1000)
    started = time.monotonic()
    with pytest.raises(BacklogError) as caught:
        deliver(con, DAY, payload(), target, **FAST)
    assert time.monotonic() - started < 3
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Slack answered HTTP 500 on chat.postMessage")
    assert "kept" in message
    assert len(top_posts(fake)) >= 3  # backed off and retried, then gave up
    assert fake.top_level_messages() == []
    [row] = ledger(con)
    assert row["status"] == "pending"
    assert row["ts"] is None
    assert row["last_error"] == message
    assert pending_days(con, target) == [DAY]

    fake._failures.clear()
    [sent] = deliver_pending(con, target, **FAST)
    assert sent.action == "posted"
    assert deliver_pending(con, target) == []
    rerun = deliver(con, DAY, payload(), target)
    assert rerun.action == "updated"
    assert len(fake.top_level_messages()) == 1
    assert sum(1 for r in top_posts(fake) if r.ok) == 1
    assert ledger(con)[0]["attempts"] == 3


def test_rate_limit_waits_for_retry_after(fake, con):
    fake.fail("chat.postMessage", Failure(status=429, retry_after=1))
    started = time.monotonic()
    result = deliver(con, DAY, payload(), bot(fake), retry_budget_seconds=10)
    waited = time.monotonic() - started
    assert result.action == "posted"
    calls = top_posts(fake)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    assert waited < 5
    assert len(fake.top_level_messages()) == 1


def test_rate_limit_beyond_the_budget_gives_up_without_waiting(fake, con):
    fake.fail("chat.postMessage", Failure(status=429, retry_after=120))
    started = time.monotonic()
    with pytest.raises(BacklogError) as caught:
        deliver(con, DAY, payload(), bot(fake), retry_budget_seconds=60)
    assert time.monotonic() - started < 2
    assert str(caught.value) == (
        "Slack rate-limited chat.postMessage, asked to wait 120 s, beyond the 60 s retry budget; "
        "the digest is kept and the next run sends it."
    )
    assert len(top_posts(fake)) == 1
    assert ledger(con)[0]["status"] == "pending"


def test_server_errors_back_off_then_succeed(fake, con):
    fake.fail("chat.postMessage", Failure(status=503), times=2)
    fake.fail("chat.postMessage", Failure(status=502))
    result = deliver(con, DAY, payload(), bot(fake), retry_budget_seconds=5, backoff_seconds=0.1)
    assert result.action == "posted"
    calls = top_posts(fake)
    assert [c.status for c in calls] == [503, 503, 502, 200]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    assert gaps[0] >= 0.075
    assert gaps[2] > gaps[0] * 2


def test_dropped_connections_are_retried(fake, con):
    fake.fail("chat.postMessage", Failure(drop=True), times=2)
    result = deliver(con, DAY, payload(), bot(fake), **FAST)
    assert result.action == "posted"
    assert len(top_posts(fake)) == 3


def test_unreachable_slack_gives_up_within_the_budget(con):
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = SlackTarget.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_CHANNEL": "C1",
            "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        }
    )
    started = time.monotonic()
    with pytest.raises(BacklogError) as caught:
        deliver(con, DAY, payload(), target, **FAST)
    assert time.monotonic() - started < 3
    message = str(caught.value)
    assert message.startswith("Could not reach Slack at 127.0.0.1 for chat.postMessage")
    assert "connection refused" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (None, "invalid_auth"),  # a wrong token: the fake answers 200 + invalid_auth
        (Failure(status=200, error="account_inactive"), "account_inactive"),
        (Failure(status=401, error="not_authed"), "not_authed"),
        (Failure(status=500, error="token_revoked"), "token_revoked"),
    ],
)
def test_auth_errors_fail_at_once_with_one_line(fake, con, caplog, failure, error):
    caplog.set_level(logging.DEBUG)
    if failure is not None:
        fake.fail("chat.postMessage", failure, times=10)
    target = bot(fake, token=TOKEN if failure else "xoxb-9999-wrong-TOKENvalue")
    started = time.monotonic()
    with pytest.raises(BacklogError) as caught:
        deliver(con, DAY, payload(), target, retry_budget_seconds=30)
    assert time.monotonic() - started < 1
    assert str(caught.value) == (
        f"Slack rejected the bot token ({error}) on chat.postMessage; check SLACK_BOT_TOKEN "
        "(not retried)."
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert len(top_posts(fake)) == 1
    assert ledger(con)[0]["status"] == "pending"
    assert "xoxb" not in caplog.text


def test_other_refusals_name_the_slack_error(fake, con):
    fake.fail("chat.postMessage", Failure(status=200, error="not_in_channel"))
    with pytest.raises(BacklogError, match=r"^Slack refused chat.postMessage: not_in_channel "):
        deliver(con, DAY, payload(), bot(fake))
    assert len(top_posts(fake)) == 1


def test_a_message_deleted_in_slack_is_posted_again_with_its_chart(fake, con):
    target = bot(fake)
    first = deliver(con, DAY, payload(), target, chart_png=PNG)
    fake.messages.clear()
    fake.messages[("C0DIGEST", "1.0")] = {"channel": "C0DIGEST", "ts": "1.0", "edits": 0}
    again = deliver(con, DAY, payload(), target, chart_png=PNG)
    assert again.action == "posted"
    assert again.ts != first.ts
    assert again.chart_uploaded
    assert ledger(con)[0]["ts"] == again.ts
    assert fake.files[again.chart_file_id]["shared"] == [("C0DIGEST", again.ts)]


# --------------------------------------------------------------------------- webhook


def test_webhook_posts_once_and_a_rerun_sends_nothing(fake, con):
    target = hook(fake)
    first = deliver(con, DAY, payload(), target, chart_png=PNG)
    assert first.action == "posted"
    [sent] = fake.webhook_messages
    assert sent["blocks"]
    assert sent["text"]
    again = deliver(con, DAY, payload(), target)
    assert again.action == "skipped"
    assert len(fake.calls("webhook")) == 1
    assert fake.calls("files.getUploadURLExternal") == []  # webhooks cannot share files
    [row] = ledger(con)
    assert row["status"] == "posted"
    assert row["channel"] == target.key
    assert row["mode"] == "webhook"


def test_webhook_429_is_honoured_and_a_give_up_is_sent_next_run(fake, con):
    target = hook(fake)
    fake.fail("webhook", Failure(status=429, retry_after=1))
    started = time.monotonic()
    assert deliver(con, DAY, payload(), target, retry_budget_seconds=10).action == "posted"
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.calls("webhook")] == [429, 200]

    day2 = date(2026, 3, 4)
    fake.fail("webhook", Failure(status=429, retry_after=300))
    with pytest.raises(
        BacklogError, match="rate-limited the incoming webhook, asked to wait 300 s"
    ):
        deliver(con, day2, payload(date="2026-03-04"), target)
    assert pending_days(con, target) == [day2]
    assert deliver(con, day2, payload(date="2026-03-04"), target).action == "posted"
    assert deliver(con, day2, payload(date="2026-03-04"), target).action == "skipped"
    assert len(fake.webhook_messages) == 2


def test_webhook_errors(fake, con):
    fake.fail("webhook", Failure(status=500), times=100)
    with pytest.raises(BacklogError, match="Slack answered HTTP 500 on the incoming webhook"):
        deliver(con, DAY, payload(), hook(fake), **FAST)
    fake._failures.clear()
    fake.fail("webhook", Failure(status=403, error="invalid_token"), times=10)
    with pytest.raises(BacklogError, match=r"rejected the incoming webhook \(invalid_token\)"):
        deliver(con, DAY, payload(), hook(fake), **FAST)
    assert fake.calls("webhook")[-1].status == 403
    assert sum(1 for c in fake.calls("webhook") if c.status == 403) == 1


# --------------------------------------------------------------------------- secrets


def test_no_credential_in_errors_ledger_logs_or_files(fake, con, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    errors = []
    target, webhook = bot(fake), hook(fake)
    secret_path = fake.webhook_url.split("/hooks/")[1]
    for route, t in (("chat.postMessage", target), ("webhook", webhook)):
        fake.fail(route, Failure(status=500), times=100)
        with pytest.raises(BacklogError) as caught:
            deliver(con, DAY, payload(), t, **FAST)
        errors.append(str(caught.value))
        fake.fail(route, Failure(drop=True), times=100)
        with pytest.raises(BacklogError) as caught:
            deliver(con, DAY, payload(), t, **FAST)
        errors.append(str(caught.value))
    fake._failures.clear()
    results = [
        deliver(con, DAY, payload(), target, chart_png=PNG),
        deliver(con, DAY, payload(), webhook),
    ]
    written = write_payload(payload(), tmp_path / "out", DAY)
    con.execute(f"copy ops.slack_messages to '{tmp_path / 'ledger.csv'}' (header)")
    haystacks = [
        *errors,
        json.dumps([{k: str(v) for k, v in row.items()} for row in ledger(con)]),
        (tmp_path / "ledger.csv").read_text(encoding="utf-8"),
        *(path.read_text(encoding="utf-8") for path in written),
        caplog.text,
        repr(results),
        repr(target) + repr(webhook),
    ]
    for text in haystacks:
        assert TOKEN not in text
        assert "SECRETtoken" not in text
        assert secret_path not in text
        assert "s3cr3t" not in text
    assert all("\n" not in e and e for e in errors)


def test_review_pack_is_shared_once_as_a_file(fake, con, tmp_path):
    pack = tmp_path / "review-2026-W13.html"
    pack.write_text("<html><body>review</body></html>")
    target = bot(fake)
    file_id = share_file(con, target, pack, "Weekly review 2026-W13", "The weekly review pack")
    assert file_id in fake.files
    [upload] = fake.calls("upload")
    assert upload.raw == pack.read_bytes()
    assert share_file(con, target, pack, "Weekly review 2026-W13", "again") is None
    assert len(fake.calls("upload")) == 1
    with pytest.raises(BacklogError, match="webhook cannot share files"):
        share_file(con, hook(fake), pack, "t", "c")
