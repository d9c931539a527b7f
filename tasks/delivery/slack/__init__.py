"""Slack delivery: the digest once per (day, channel) and the review pack, through slack_sdk."""

from tasks.delivery.slack.ledger import pending_days
from tasks.delivery.slack.reasons import AUTH_ERRORS
from tasks.delivery.slack.send import (
    DeliveryResult,
    deliver,
    deliver_pending,
    share_file,
)
from tasks.delivery.slack.session import CHART_TITLE
from tasks.delivery.slack.target import DEFAULT_API_URL, SlackTarget

__all__ = [
    "AUTH_ERRORS",
    "CHART_TITLE",
    "DEFAULT_API_URL",
    "DeliveryResult",
    "SlackTarget",
    "deliver",
    "deliver_pending",
    "pending_days",
    "share_file",
]
