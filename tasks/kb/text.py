"""Ticket text for clustering: cleaning, sentences, boilerplate and terms.

Texts lose quoted history, greetings, signatures, boilerplate sentences (in a quarter of
the tickets or more) and personal data: a quoted earlier message or a footer would make
unrelated tickets look alike.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections import Counter
from collections.abc import Sequence

from tasks.redact import redact

# a greeting line in the first lines ("Hi Anna,", "Hello support,", "Good morning!")
_GREETING = re.compile(
    r"^[ \t]*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b[^\n]{0,60}$",
    re.IGNORECASE | re.MULTILINE,
)
# a line that only closes a message ("Best regards,", "Thanks!", "-- Anna", "Sent from my
# iPhone"): it and everything after it (name, title, footer) is a signature
_SIGN_OFF = re.compile(
    r"\n[ \t]*(?:(?:best|kind regards|warm regards|regards|best regards|many thanks|thanks|"
    r"thank you|cheers|sincerely|br)\b[ \t\w]{0,25}[,.!]?[ \t]*(?=\n|\Z)|--[^\n]{0,40}(?=\n|\Z)|"
    r"sent from my\b[^\n]{0,30}(?=\n|\Z))",
    re.IGNORECASE,
)
_QUOTED_HISTORY = re.compile(
    r"^[ \t]*(?:On\b[^\n]{0,300}\bwrote:|-{2,} ?(?:Original|Forwarded) [Mm]essage ?-{2,})",
    re.MULTILINE,
)
_MAX_TEXT = 4000  # characters of one text kept: the start of a message says what it is about
_LABELS = re.compile(r"\[(?:email|phone|card|iban|token|secret)\]")
_WORD = re.compile(r"(?u)\b(?=\w*[^\W\d_])\w{2,}\b")  # 2+ characters, a letter: no numbers
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")


_EXTRA_STOP_WORDS = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "regards",
        "cheers",
        "best",
        "sincerely",
        "kind",
        "please",
        "ok",
        "okay",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "couldnt",
        "shouldnt",
        "wouldnt",
        "im",
        "ive",
        "youre",
        "youve",
        "weve",
        "theyre",
        "thats",
        "theres",
        "whats",
        "lets",
        "ill",
        "youll",
    }
)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


_DIGITS = re.compile(r"\d+")
_HTML_TAG = re.compile(r"<(?:p|div|br|span|a|li|ul|ol|table|tr|td|b|i|strong|em|h\d)\b[^>]*>", re.I)
_HTML_BREAK = re.compile(r"<(?:br\s*/?|/p|/div|/li|/tr|/h\d)\s*>", re.I)


def clean_text(text: str | None) -> str:
    """Text without quoted history, greeting, sign-off and personal data.

    What a reader of an article needs, and what tells tickets apart: a quoted earlier
    message or a signature would make unrelated tickets look alike.
    """
    return strip_salutations(prepare(text))


def prepare(text: str | None) -> str:
    """The message itself, redacted: no HTML, quoted history or text past 4,000 characters."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n")
    if "<" in text and _HTML_TAG.search(text):
        text = html.unescape(re.sub(r"<[^>]+>", " ", _HTML_BREAK.sub("\n", text)))
    quoted = _QUOTED_HISTORY.search(text)
    if quoted:
        text = text[: quoted.start()]
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    return (redact(text[:_MAX_TEXT]) or "").strip()


def strip_salutations(text: str) -> str:
    """A prepared text without its greeting line and its sign-off and what follows it."""
    greeting = _GREETING.search(text, 0, 200)
    if (
        greeting
        and text[greeting.end() :].strip()  # a greeting is followed by the message
        and (
            greeting.group(0).rstrip().endswith((",", "!", ":"))
            or len(greeting.group(0).split()) <= 3
        )
    ):
        text = text[: greeting.start()] + text[greeting.end() :]
    sign_off = _SIGN_OFF.search(text)
    if sign_off:
        text = text[: sign_off.start()]
    return text.strip()


def split_sentences(text: str) -> list[str]:
    """The non-empty sentences of a text, line by line."""
    return [part for line in text.split("\n") for part in _SENTENCE_END.split(line) if part.strip()]


def sentence_key(sentence: str) -> str:
    """A sentence reduced to its words, numbers as 0: equal for the same boilerplate line."""
    return " ".join(_WORD.findall(_DIGITS.sub("0", sentence.lower())))


def find_boilerplate(texts: Sequence[str]) -> frozenset[str]:
    """Sentences in a quarter or more of the texts: footers, disclaimers, signatures.

    They say nothing about the ticket and would make every ticket look like every other.
    """
    threshold = max(20, 0.25 * len(texts))
    counts = Counter(
        key for text in texts for key in {sentence_key(s) for s in split_sentences(text)}
    )
    return frozenset(key for key, count in counts.items() if key and count >= threshold)


def cleaned(prepared: str, boilerplate: frozenset[str]) -> str:
    """A prepared text without salutations and boilerplate sentences."""
    text = strip_salutations(prepared)
    if not boilerplate:
        return text
    return "\n".join(s for s in split_sentences(text) if sentence_key(s) not in boilerplate)


def for_vectors(text: str) -> str:
    """Cleaned text without the redaction labels, which would read as words."""
    return _LABELS.sub(" ", text)


@functools.cache
def default_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and the salutations and contractions above."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP_WORDS


def terms_of(text: str, stop: frozenset[str] | None = None) -> list[str]:
    """Words and pairs of adjacent words, stop words left out (no pair spans a stop word)."""
    stop = default_stop_words() if stop is None else stop
    words = _WORD.findall(_APOSTROPHE.sub("", text.lower()))
    kept = [word not in stop for word in words]
    terms = [word for word, keep in zip(words, kept, strict=True) if keep]
    terms += [
        f"{a} {b}"
        for (a, keep_a), (b, keep_b) in itertools.pairwise(zip(words, kept, strict=True))
        if keep_a and keep_b
    ]
    return terms
