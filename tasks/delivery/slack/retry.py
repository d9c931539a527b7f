"""Retries within a budget: 429 waits for `Retry-After`, 5xx and dropped connections back off."""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from tasks.delivery.slack.reasons import AUTH_ERRORS, reason

log = logging.getLogger(__name__)


class Budget:
    """The time all retries of one delivery may take, shared by every request.

    429 waits for `Retry-After`; 5xx and connection errors back off; both stop when the
    budget (a minute by default) would be exceeded. Anything else, auth errors first of
    all, fails at once.
    """

    def __init__(self, seconds: float, backoff: float, request_timeout: float) -> None:
        self.seconds = seconds
        self.backoff = backoff
        self.request_timeout = request_timeout
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.min_attempt = min(1.0, seconds / 10)
        self.clients: list[Any] = []
        self.retries = 0
        self.last_retry_after: float | None = None

    def remaining(self) -> float:
        """Seconds left in the budget."""
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the delivery started."""
        return time.monotonic() - self.started

    def timeout(self) -> float:
        """A request timeout that does not run past the deadline (with a floor of 1 s)."""
        return max(1.0, min(self.request_timeout, self.remaining()))

    def arm(self) -> None:
        """Give every client a request timeout that fits the remaining budget."""
        for client in self.clients:
            client.timeout = self.timeout()

    def can_wait(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` still leaves time for one more attempt."""
        return self.remaining() - seconds >= self.min_attempt

    def backoff_delay(self, attempt: int) -> float:
        """The jittered exponential back-off before retry number ``attempt``."""
        return self.backoff * (2**attempt) * random.uniform(0.75, 1.0)

    def wait(self, seconds: float, why: str) -> None:
        """Log the retry, sleep, count it and re-arm the clients."""
        log.warning("Slack: %s; retrying in %.1f s", why, seconds)
        time.sleep(max(0.0, seconds))
        self.retries += 1
        self.arm()


def header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a `Retry-After` header (seconds or an HTTP date); 1 s when absent."""
    value = header(headers, "retry-after")
    if value is None:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return 1.0


class RateLimitHandler(RateLimitErrorRetryHandler):
    """429: wait as long as Slack asks, while that fits in the budget."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(max_retry_count=1000)
        self.budget = budget

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        self.budget.last_retry_after = retry_after(response.headers)
        return self.budget.can_wait(self.budget.last_retry_after)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait as the budget allows, then ask slack_sdk for another attempt."""
        state.next_attempt_requested = True
        wait = retry_after(response.headers if response is not None else {})
        self.budget.wait(wait + random.uniform(0, 0.1), f"rate limited (Retry-After {wait:g} s)")
        state.increment_current_attempt()


class BackoffHandler(RetryHandler):
    """5xx responses and connection errors: exponential back-off within the budget."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(max_retry_count=1000)
        self.budget = budget
        self.delay = 0.0

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None:
            if not 500 <= response.status_code < 600 or auth_error_in(response):
                return False
        elif not isinstance(error, OSError | http.client.HTTPException):
            return False
        self.delay = self.budget.backoff_delay(state.current_attempt)
        return self.budget.can_wait(self.delay)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait as the budget allows, then ask slack_sdk for another attempt."""
        state.next_attempt_requested = True
        why = f"HTTP {response.status_code}" if response is not None else reason(error)
        self.budget.wait(self.delay, why)
        state.increment_current_attempt()


def auth_error_in(response: HttpResponse) -> bool:
    body = response.body
    if body is None and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            return False
    return isinstance(body, dict) and body.get("error") in AUTH_ERRORS
