"""Where Slack deliveries go: a bot token + channel id or a webhook, read from the environment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from tasks.errors import BacklogError

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, repr=False)
class SlackTarget:
    """Where the digest goes: a bot token + channel id, or an incoming webhook.

    Credentials come from the environment (`from_env`) and are held as `SecretStr`;
    the repr names only the mode, channel and API host, so a target that ends up in a
    log or a Prefect parameter leaks nothing. Still, build it inside the task that
    posts (`from_env`), never pass it around.
    """

    channel: str | None = None
    token: SecretStr | None = field(default=None, compare=False)
    webhook_url: SecretStr | None = field(default=None, compare=False)
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackTarget | None:
        """The target configured by `SLACK_BOT_TOKEN` + `SLACK_CHANNEL`, or `SLACK_WEBHOOK_URL`.

        `SLACK_API_URL` overrides the Web API base URL. None when nothing is configured;
        a half-done configuration is an error, not a silent skip.
        """
        env = os.environ if environ is None else environ
        token = (env.get("SLACK_BOT_TOKEN") or "").strip()
        channel = (env.get("SLACK_CHANNEL") or "").strip()
        webhook = (env.get("SLACK_WEBHOOK_URL") or "").strip()
        api_url = (env.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        if token:
            if not channel:
                raise BacklogError(
                    "Slack: SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not; set SLACK_CHANNEL "
                    "to the channel id (e.g. C0123456789, from the channel's details)."
                )
            if channel.startswith("#") or any(ch.isspace() for ch in channel):
                raise BacklogError(
                    f"Slack: SLACK_CHANNEL must be a channel id such as C0123456789, not "
                    f"{channel[:40]!r}; copy the id from the channel's details in Slack."
                )
            return cls(channel=channel, token=SecretStr(token), api_url=api_url)
        if webhook:
            if not webhook.lower().startswith(("https://", "http://")):
                raise BacklogError("Slack: SLACK_WEBHOOK_URL is not an http(s) URL.")
            return cls(webhook_url=SecretStr(webhook), api_url=api_url)
        if channel:
            raise BacklogError(
                "Slack: SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not; set the bot token "
                "(xoxb-...) or use SLACK_WEBHOOK_URL instead."
            )
        return None

    @property
    def mode(self) -> str:
        """`bot` (can update its message) or `webhook` (post only)."""
        return "bot" if self.token is not None else "webhook"

    @property
    def key(self) -> str:
        """The destination as stored in the ledger: the channel id, or a webhook's hash."""
        if self.token is not None:
            return str(self.channel)
        url = self.webhook_url.get_secret_value() if self.webhook_url else ""
        return "webhook:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]

    @property
    def host(self) -> str:
        """The host that is contacted, for messages (never the path: a webhook's is secret)."""
        url = self.api_url if self.token is not None else self.webhook()
        return urlsplit(url).hostname or "?"

    def webhook(self) -> str:
        """The webhook URL itself (a secret: for the client only)."""
        return self.webhook_url.get_secret_value() if self.webhook_url else ""

    def __repr__(self) -> str:
        where = f"channel={self.channel!r}" if self.token is not None else f"key={self.key!r}"
        return f"SlackTarget(mode={self.mode!r}, {where}, host={self.host!r})"

    __str__ = __repr__
