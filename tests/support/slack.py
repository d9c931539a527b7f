"""What the Slack delivery tests share: the day, the token, fast retries, the targets of a
fake Slack (a bot, a webhook) and the ledger of what was sent."""

from __future__ import annotations

from datetime import date

import duckdb

from tasks.delivery.slack import SlackTarget
from tests.support.fake_slack import FakeSlack

DAY = date(2026, 3, 3)
TOKEN = "xoxb-1111-2222-SECRETtokenVALUE"
# retries within 0.6 s: a test of giving up does not wait Slack's real budget
FAST = {"retry_budget_seconds": 0.6, "backoff_seconds": 0.05}


def bot(fake: FakeSlack, token: str = TOKEN, channel: str = "CALIAS") -> SlackTarget:
    """A bot token and channel (an alias the fake answers with its id) on `fake`."""
    target = SlackTarget.from_env(
        {"SLACK_BOT_TOKEN": token, "SLACK_CHANNEL": channel, "SLACK_API_URL": fake.api_url}
    )
    assert target is not None
    return target


def hook(fake: FakeSlack) -> SlackTarget:
    """An incoming webhook on `fake`."""
    target = SlackTarget.from_env({"SLACK_WEBHOOK_URL": fake.webhook_url})
    assert target is not None
    return target


def ledger(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every row of `ops.slack_messages`, by day and channel."""
    cursor = con.execute("select * from ops.slack_messages order by report_date, channel")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def ledger_row(con: duckdb.DuckDBPyConnection) -> dict:
    """The one row of `ops.slack_messages`."""
    [row] = ledger(con)
    return row
