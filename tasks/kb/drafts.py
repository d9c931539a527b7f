"""Candidate drafts: title, symptoms, resolution steps, the Markdown draft and its files."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
from scipy import sparse

from tasks.kb.text import sentence_key, split_sentences
from tasks.warehouse import read_sql

_PLEASANTRY = re.compile(
    r"^(?:thanks|thank you|sorry|apologies|hope this helps|let me know|let us know|feel free|"
    r"have a (?:great|nice|good)|happy to help|glad|please don't hesitate|don't hesitate)\b",
    re.IGNORECASE,
)


MAX_RELATED_WITH_SUBJECT = 10


_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{5,}(?![\d.,]?\d)")


def one_line(text: str, limit: int = 120) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pick_title(
    subjects: Sequence[str],
    keywords: list[str],
    vectors: Callable[[Sequence[str]], sparse.csr_matrix],
) -> str:
    """The subject that best stands for the cluster: the medoid of its central subjects.

    `subjects` are the cleaned subjects of the members, most representative first.
    Long numbers (an order or invoice number of one ticket) are replaced by "…".
    """
    top = [subject for subject in subjects[:15] if subject]
    if not top:
        return one_line("Tickets about " + ", ".join(keywords[:3]) if keywords else "Tickets")
    rows = vectors(top)
    closeness = np.asarray((rows @ rows.T).sum(axis=1)).ravel()
    best = top[int(np.argmax(closeness))]  # argmax keeps the most central on ties
    return one_line(_LONG_NUMBER.sub("…", best))


def distinct_symptoms(subjects: Iterable[str]) -> list[str]:
    """The first eight distinct subjects (one line each, compared ignoring case)."""
    symptoms: list[str] = []
    seen: set[str] = set()
    for text in subjects:
        subject = one_line(text)
        if subject and subject.lower() not in seen:
            symptoms.append(subject)
            seen.add(subject.lower())
        if len(symptoms) >= 8:
            break
    return symptoms


def _steps(resolution: str, boilerplate: frozenset[str]) -> list[str]:
    """The resolution as numbered steps: its sentences, without pleasantries and footers."""
    sentences = [one_line(part, 400) for part in split_sentences(resolution)]
    steps = [
        s for s in sentences if not _PLEASANTRY.match(s) and sentence_key(s) not in boilerplate
    ]
    return steps or sentences


def render_draft(
    candidate_id: str,
    title: str,
    keywords: list[str],
    ticket_ids: list[str],
    subjects: list[str],
    symptoms: list[str],
    representative: tuple[str, str, str],
    day: date,
    window: int,
    previous: int | None,
    boilerplate: frozenset[str],
) -> str:
    """The Markdown draft: Problem, Symptoms, Resolution steps, Related tickets; redacted.

    `ticket_ids`: every member, most representative first; `subjects`: the cleaned subjects
    of (at least) the first ten; `representative`: the id, cleaned description and cleaned
    resolution of the first member with a resolution (else the first member).
    """
    representative_id, description, resolution = representative
    description = description or title
    before = "" if previous is None else f" ({previous} in the {window} days before)"
    lines = [
        f"# {title}",
        "",
        f"*Knowledge-base candidate `{candidate_id}`: {len(ticket_ids)} tickets solved in the "
        f"{window} days to {day.isoformat()}{before}. Keywords: {', '.join(keywords)}.*",
        "",
        "## Problem",
        "",
        *(f"> {line}".rstrip() for line in description.split("\n")),
        "",
        "## Symptoms",
        "",
        *(f"- {s}" for s in symptoms),
        "",
        "## Resolution steps",
        "",
    ]
    if resolution:
        steps = _steps(resolution, boilerplate)
        lines += [f"{n}. {step}" for n, step in enumerate(steps, start=1)]
        lines += ["", f"*From the reply that solved ticket {representative_id}.*"]
    else:
        lines += ["*No agent reply was recorded for these tickets; write the steps.*"]
    lines += ["", "## Related tickets", ""]
    for ticket_id, text in zip(
        ticket_ids[:MAX_RELATED_WITH_SUBJECT], subjects[:MAX_RELATED_WITH_SUBJECT], strict=True
    ):
        subject = one_line(text, 80)
        lines.append(f"- {ticket_id}" + (f": {subject}" if subject else ""))
    rest = ticket_ids[MAX_RELATED_WITH_SUBJECT:]
    if rest:
        lines.append(f"- and {len(rest)} more: {', '.join(rest)}")
    return "\n".join(lines) + "\n"


def write_drafts(con: duckdb.DuckDBPyConnection, day: date, out_dir: Path) -> list[Path]:
    """Write `<out_dir>/kb/<candidate_id>.md` for every candidate of `day` not dismissed.

    Drafts of dismissed candidates are removed from that folder, so it lists what is
    worth writing up.
    """
    folder = Path(out_dir) / "kb"
    rows = con.execute(read_sql("queries/kb/day_drafts.sql"), {"report_date": day}).fetchall()
    dismissed = [
        row[0]
        for row in con.execute(
            "select candidate_id from ops.kb_candidates where state = 'dismissed'"
        ).fetchall()
    ]
    written = []
    for candidate_id, markdown, state in rows:
        if state == "dismissed":
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{candidate_id}.md"
        path.write_text(markdown, encoding="utf-8")
        written.append(path)
    for candidate_id in dismissed:
        (folder / f"{candidate_id}.md").unlink(missing_ok=True)
    return written
