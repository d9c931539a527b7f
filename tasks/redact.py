"""Personal data out of everything we post or draft (SPEC section 7).

Emails, phone numbers, card-like numbers and tokens in URLs are replaced by a
bracketed label, so a reader still sees that something was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_URL_TOKEN = re.compile(
    r"(?i)(?<=[?&#;])((?:[a-z0-9_.-]*(?:token|key|secret|sig|signature|auth|session|code|"
    r"password|pwd|access|jwt|otp)[a-z0-9_.-]*)=)[^&#\s\"'<>]+"
)
_BEARER = re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*")
_SLACK_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}")
_EMAIL = re.compile(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(
    r"(?<![\w/.:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]?\d{2,5}){1,4}"
    r"(?![\w/:])"
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 9 or digits > 15 or _DATE_LIKE.match(text.strip()):
        return text
    return "[phone]"


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_URL_TOKEN, r"\1[token]"),
    (_BEARER, r"\1[token]"),
    (_SLACK_TOKEN, "[token]"),
    (_EMAIL, "[email]"),
    (_CARD, "[card]"),
    (_PHONE, _phone),
)


def redact(text: str | None) -> str | None:
    """The text with personal data replaced; None stays None."""
    if text is None:
        return None
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
