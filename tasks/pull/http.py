"""One helpdesk API's HTTP: GET a JSON page with retries, Retry-After and one-sentence errors.

httpx sends, tenacity retries (DECISIONLOG, "Pull from the helpdesk's API"). A page is kept
as the bytes the API returned (`Page.content`), parsed once to check it and to find the
next cursor. Credentials travel in the client's auth and headers only: no URL, log line or
error message holds them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from tasks.errors import BacklogError

# Bounded retrying: the whole of one request's retries fits in this many seconds.
DEFAULT_MAX_SECONDS = 120.0
DEFAULT_TIMEOUT = 30.0
# Longest Retry-After honoured as it is; a longer one ends the pull with a sentence.
MAX_RETRY_AFTER = 300.0


class PullError(BacklogError):
    """A pull that failed: one sentence naming the vendor, the request and what to do."""


class AuthError(PullError):
    """401/403: the credentials are wrong or lack a permission; never retried."""


class MalformedPage(PullError):
    """A 200 whose body is not the JSON the API documents (truncated, HTML, ...)."""

    def __init__(self, message: str, request: str) -> None:
        super().__init__(message)
        self.request = request


class _Retryable(Exception):
    """A 429, 5xx or dropped connection: worth another try within the time bound."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class Page:
    """One API response: the request as said in messages, its bytes, headers and JSON."""

    request: str
    content: bytes
    headers: dict[str, str]
    data: Any


@dataclass
class ApiClient:
    """GET JSON pages from one vendor's API, counting requests and retries.

    Args:
        vendor: the vendor's name as said in messages (`Zendesk`).
        base_url: the API's root (`https://acme.zendesk.com`); paths are joined to it.
        auth: httpx auth (basic) or None; `headers` may carry a bearer token.
        fix_401: the environment variables to fix when the API refuses the credentials.
        fix_403: what to do when the credentials lack a permission.
        max_seconds: the bound on one request's retries, waits included.
        sleep: how to wait (tests record the waits instead of sleeping).
    """

    vendor: str
    base_url: str
    auth: httpx.Auth | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    fix_401: str = "the credentials"
    fix_403: str = "give the credentials' user the permission to read tickets"
    max_seconds: float = DEFAULT_MAX_SECONDS
    timeout: float = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    _client: httpx.Client | None = field(default=None, repr=False)
    _request_waited: float = 0.0

    def __enter__(self) -> ApiClient:
        self._client = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            auth=self.auth,
            headers={"Accept": "application/json", **self.headers},
            timeout=self.timeout,
            follow_redirects=False,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Page:
        """GET `path` (relative to the base URL, or an absolute URL the API handed out).

        Retries 429 (after `Retry-After`), 5xx and dropped connections within
        `max_seconds`; raises `AuthError` at once on 401/403, `MalformedPage` when the
        body is not JSON, `PullError` otherwise.
        """
        request = describe(self.base_url, path, params)
        self._request_waited = 0.0
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            wait=_wait,
            stop=self._stop,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(path, params, request)
        except _Retryable as exc:
            tries = retrying.statistics.get("attempt_number", 1)
            raise PullError(
                f"{self.vendor} did not answer GET {request} after {tries} tries "
                f"within {self.max_seconds:g} s (last: {exc.reason}); try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _stop(self, state: RetryCallState) -> bool:
        """Stop when the next wait would take this request past `max_seconds`."""
        spent = max(self._request_waited, state.seconds_since_start or 0.0)
        return spent + (state.upcoming_sleep or 0.0) > self.max_seconds

    def _sleep(self, seconds: float) -> None:
        self.retries += 1
        self.waited += seconds
        self._request_waited += seconds
        self.sleep(seconds)

    def _once(self, path: str, params: dict[str, Any] | None, request: str) -> Page:
        assert self._client is not None, "use ApiClient as a context manager"
        self.requests += 1
        try:
            response = self._client.get(path, params=params)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Retryable(f"connection failed: {type(exc).__name__}") from None
        status = response.status_code
        if status == 429:
            raise _Retryable("HTTP 429 Too Many Requests", _retry_after(response))
        if status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after(response))
        if status == 401:
            raise AuthError(
                f"{self.vendor} refused the credentials (HTTP 401) for GET {request}; "
                f"check {self.fix_401}."
            )
        if status == 403:
            raise AuthError(
                f"{self.vendor} denied access (HTTP 403) to GET {request}; {self.fix_403}."
            )
        if status != 200:
            raise PullError(
                f"{self.vendor} answered HTTP {status} to GET {request}; check the base URL "
                "and the dates."
            )
        content = response.content
        try:
            data = json.loads(content)
        except ValueError as exc:
            raise MalformedPage(
                f"{self.vendor} answered GET {request} with a page that is not valid JSON "
                f"({len(content)} bytes: {exc})",
                request,
            ) from None
        return Page(request, content, dict(response.headers), data)


def describe(base_url: str, path: str, params: dict[str, Any] | None) -> str:
    """The request as messages name it: URL without user info, with its query."""
    url = path if "://" in path else base_url.rstrip("/") + "/" + path.lstrip("/")
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = parts.query
    if params:
        query = "&".join(q for q in (query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (seconds form), if any."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _wait(state: RetryCallState) -> float:
    """`Retry-After` when the API sent one (capped), else exponential backoff with jitter."""
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_AFTER)
    return wait_exponential_jitter(multiplier=0.5, max=8.0, jitter=0.25)(state)
