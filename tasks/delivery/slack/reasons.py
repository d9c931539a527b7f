"""Failure reasons: one secret-free line per Slack error, and the scrub that guarantees it."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.error import HTTPError, URLError

from tasks.delivery.slack.target import SlackTarget
from tasks.redact import redact

AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
        "org_login_required",
        "two_factor_setup_required",
        "invalid_token",  # incoming webhooks
        "no_service",  # incoming webhooks: the webhook was removed
    }
)


class Failure(Exception):
    """A delivery failure, already phrased as the one line the user sees."""


def reason(exc: BaseException | None) -> str:
    """A short, secret-free reason for a low-level error."""
    if exc is None:
        return "no response"
    if isinstance(exc, URLError) and not isinstance(exc, HTTPError):
        inner = exc.reason
        return reason(inner) if isinstance(inner, BaseException) else short(str(inner))
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed by the server"
    if isinstance(exc, OSError) and exc.strerror:
        return short(exc.strerror)
    return type(exc).__name__


def short(value: Any, limit: int = 80) -> str:
    """One line of at most `limit` characters of a server-provided value."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scrub(message: str, target: SlackTarget) -> str:
    """The message without any credential (belt and braces: none should be there)."""
    for secret in (target.token, target.webhook_url):
        if secret is not None and secret.get_secret_value():
            message = message.replace(secret.get_secret_value(), "[secret]")
    return (redact(message) or "").splitlines()[0] if message else message
