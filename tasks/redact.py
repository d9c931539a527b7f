"""Personal data out of everything we post or draft.

Emails, phone numbers, card-like numbers, bank account numbers (IBAN) and secrets
(tokens in URLs, bearer tokens, API keys, JWTs, ``password: ...``) are replaced by a
bracketed label, so a reader still sees that something was there. The rules are tuned
to leave what a support article needs alone: dates, times, ticket and order numbers,
version numbers, prices and durations ("3-5 business days").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

# -- secrets -------------------------------------------------------------------------------

_SECRET_WORDS = (
    r"token|key|secret|sig|signature|auth|session|sid|code|password|passwd|pwd|access|"
    r"jwt|otp|nonce|hash|credential|ticket"
)
# a query or fragment parameter whose name says it carries a secret: keep the name
_URL_PARAM = re.compile(
    rf"(?i)(?<=[?&#;])((?:[a-z0-9_.\-\[\]]*(?:{_SECRET_WORDS})[a-z0-9_.\-\[\]]*)=)"
    r"[^&#\s\"'<>()]+"
)
# a path segment after one of these carries a secret (/reset/<token>, /verify/<token>, ...)
_SECRET_PATH_WORDS = frozenset(
    {
        "reset",
        "reset-password",
        "password-reset",
        "password",
        "verify",
        "verification",
        "confirm",
        "confirmation",
        "activate",
        "activation",
        "invite",
        "invitation",
        "invites",
        "magic",
        "magic-link",
        "login",
        "signin",
        "sign-in",
        "auth",
        "oauth",
        "token",
        "tokens",
        "unsubscribe",
        "share",
        "shared",
        "s",
        "dl",
        "download",
        "key",
        "keys",
        "secret",
        "otp",
        "approve",
        "accept",
        "callback",
        "session",
        "sessions",
        "recover",
        "recovery",
    }
)
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_URL_PARTS = re.compile(r"^((?:https?://)?[^/?#]*)([^?#]*)(.*)$", re.DOTALL)
_BEARER = re.compile(r"(?i)\b((?:bearer|basic)\s+)(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}")
_API_KEY = re.compile(
    r"\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|"
    r"github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{8,}|AKIA[0-9A-Z]{16}|"
    r"AIza[0-9A-Za-z_\-]{30,}|glpat-[A-Za-z0-9_\-]{16,})"
)
_KEY_VALUE = re.compile(
    r"(?i)\b((?:password|passwd|pwd|passcode|api[ _-]?key|secret(?:[ _-]?key)?|"
    r"access[ _-]?token|auth[ _-]?token|client[ _-]?secret)\s*[:=]\s*)"
    r"(?![\[])[^\s,;]{4,}"
)

# -- contact and payment data --------------------------------------------------------------

_EMAIL = re.compile(
    r"(?i)(?<![\w.+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\w#/.,-])\d(?:[ -]?\d){12,18}(?![\w/-]|[.,]\d)")
_CARD_GROUPED = re.compile(
    r"^\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?$|^\d{4}([ -])\d{6}\2\d{5}$"
)
_PHONE = re.compile(
    r"(?<![\w#/.,:@$€£¥-])(?:\+|\b00)?\(?\d[\d().\-/ \u00a0]{5,22}\d(?![\w/@]|[.,:]\d)"
)
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:phone|tel|telephone|mobile|cell|call|calling|text|sms|whatsapp|fax|office|"
    r"reach me|contact me|number is|ring)\b[^\n\d]{0,25}$"
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:tickets?|orders?|invoices?|cases?|refs?|references?|accounts?|acct|tracking|"
    r"ids?|no\.?|serial|versions?|builds?|po|sku|items?|articles?|errors?|codes?|requests?)"
    r"\s*(?:number|no\.?|#|ids?)?\s*[:#]?\s*$"
)
_DATE_TIME = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"(?:[ T]\d{1,2}(?::?\d{2}){0,2})?$"
)
_DOTTED_PHONE = re.compile(r"^\d{3}\.\d{3}\.\d{4}$")  # 415.555.0199
_AMOUNT = re.compile(r"^\d{1,3}(?:[ \u00a0,.]\d{3})+(?:[.,]\d{1,2})?$")
_RANGE = re.compile(r"^\d{1,4}\s?[-/]\s?\d{1,4}$")


def _luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN."""
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in moved)
    return int(number) % 97 == 1


def _card(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if _luhn_ok(digits) or _CARD_GROUPED.match(text):
        return "[card]"
    return text


def _iban(match: re.Match[str]) -> str:
    return "[iban]" if _iban_ok(match.group(0)) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    stripped = text.strip(" ()")
    digits = sum(char.isdigit() for char in text)
    before = match.string[max(0, match.start() - 40) : match.start()]
    if _DATE_TIME.match(stripped) or _RANGE.match(stripped) or digits > 15:
        return text
    says_phone = bool(_PHONE_CONTEXT.search(before))
    dotted = re.fullmatch(r"[\d./]+", stripped) and not _DOTTED_PHONE.match(stripped)
    if not says_phone and (dotted or _AMOUNT.match(stripped)):
        return text  # dotted digits (a date, a version, an IP) or an amount
    international = stripped.startswith(("+", "00"))
    if says_phone:
        return "[phone]" if digits >= 7 else text
    if _NOT_PHONE_CONTEXT.search(before):
        return text
    groups = [group for group in re.split(r"\D+", stripped) if group]
    if len(groups) >= 2 and all(len(group) >= 6 for group in groups):
        return text  # a list of ids or amounts, not one number
    separated = len(groups) >= 2
    if international:
        return "[phone]" if digits >= 8 else text
    if separated:
        return "[phone]" if digits >= 9 else text
    # an unbroken run of digits is an id or an amount unless it looks like a national number
    return "[phone]" if stripped.startswith("0") and 10 <= digits <= 11 else text


def _looks_random(segment: str) -> bool:
    """A long path segment that mixes letters and digits like a generated token does.

    Slugs ("360001234567-how-to-reset-password") switch between letters and digits
    once or twice; tokens and UUIDs switch many times.
    """
    if len(segment) < 16:
        return False
    kinds = [char.isdigit() for char in segment if char.isalnum()]
    switches = sum(a != b for a, b in itertools.pairwise(kinds))
    return any(kinds) and not all(kinds) and switches >= 4


def _url(match: re.Match[str]) -> str:
    parts = _URL_PARTS.match(match.group(0))
    if parts is None:  # pragma: no cover - the pattern matches every string
        return match.group(0)
    head, path, tail = parts.groups()
    segments = path.split("/")
    for index, segment in enumerate(segments):
        previous = segments[index - 1].lower() if index else ""
        after_secret_word = (
            previous in _SECRET_PATH_WORDS
            and len(segment) >= 6
            and (any(char.isdigit() for char in segment) or len(segment) >= 16)
        )
        if after_secret_word or _looks_random(segment):
            segments[index] = "[token]"
    return head + "/".join(segments) + tail


# Each rule with a cheap test of whether it can match at all: most texts hold no personal
# data, and skipping a rule is much faster than running its expression.
_SEVEN_DIGITS = re.compile(r"(?:\d\D{0,3}){7}")
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}")
_Rule = tuple[Callable[[str], object], re.Pattern[str], str | Callable[[re.Match[str]], str]]
_RULES: tuple[_Rule, ...] = (
    (lambda t: "=" in t, _URL_PARAM, r"\1[token]"),
    (lambda t: "http" in t.lower() or "www." in t.lower(), _URL, _url),
    (lambda t: "eyJ" in t, _JWT, "[token]"),
    (lambda t: "_" in t or "-" in t or "AKIA" in t or "AIza" in t, _API_KEY, "[token]"),
    (lambda t: "bearer" in t.lower() or "basic" in t.lower(), _BEARER, r"\1[token]"),
    (lambda t: ":" in t or "=" in t, _KEY_VALUE, r"\1[secret]"),
    (lambda t: "@" in t, _EMAIL, "[email]"),
    (_IBAN_START.search, _IBAN, _iban),
    (_SEVEN_DIGITS.search, _CARD, _card),
    (_SEVEN_DIGITS.search, _PHONE, _phone),
)


def redact(text: str | None) -> str | None:
    """The text with personal data and secrets replaced by labels; None stays None."""
    if text is None:
        return None
    for may_match, pattern, replacement in _RULES:
        if may_match(text):
            text = pattern.sub(replacement, text)
    return text
