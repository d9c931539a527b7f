"""Independent reference implementation ("oracle") of the digest figures.

Written from docs/metrics.md, README.md and DECISIONLOG.md alone, in plain
Python, so that tests comparing it with the DuckDB SQL models catch
misreadings. It reads canonical export folders ``<root>/<YYYY-MM-DD>/`` and
recomputes the section 8 figures for one day. No rounding anywhere.

Public API:

- ``compute_digest_figures(exports_root, day, *, report_timezone, source_timezone,
  sla, ack_patterns, ignore_tags) -> dict``
- ``status_history(exports_root, *, source_timezone) -> {ticket_id: [(at, from, to)]}``
- ``quantile_cont(values, q)`` (DuckDB ``quantile_cont`` / numpy ``linear``)
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

UNSOLVED = ("new", "open", "pending", "hold")
SOLVED = ("solved", "closed")
DELETED = "deleted"
STATUSES = frozenset((*UNSOLVED, *SOLVED, DELETED))
EVENT_KINDS = frozenset(("status_change", "comment", "priority_change", "assignment", "tag_change"))

# priority -> (first reply target, resolution target), calendar time (docs/metrics.md)
DEFAULT_SLA: dict[str, tuple[timedelta, timedelta]] = {
    "urgent": (timedelta(minutes=10), timedelta(hours=2)),
    "high": (timedelta(minutes=30), timedelta(hours=24)),
    "normal": (timedelta(hours=4), timedelta(hours=72)),
    "low": (timedelta(hours=24), timedelta(hours=168)),
}

DEFAULT_ACK_PATTERNS: list[str] = [
    r"automated (acknowledg|response|reply|message)",
    r"auto(matic)?(ally)?[- ]?(generated|reply|response|message)",
    r"we('ve| have) received your (request|ticket|message|email)",
    r"this is an auto",
]

AGING_BUCKETS: list[tuple[str, float]] = [
    ("0-1d", 1.0),
    ("1-3d", 3.0),
    ("3-7d", 7.0),
    ("7-14d", 14.0),
    ("14-30d", 30.0),
    ("30d+", math.inf),
]

WEEK = timedelta(hours=168)

# --------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_DAY_DIR_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_timestamp(value: Any, source_tz: tzinfo) -> datetime | None:
    """An ISO 8601 value as an aware UTC datetime; naive values are in ``source_tz``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=source_tz)
        return dt.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=source_tz).astimezone(UTC)
    text = str(value).strip()
    if not text:
        return None
    m = _TS_RE.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if off is None:
        tz: tzinfo = source_tz
    elif off in ("Z", "z", "UTC"):
        tz = UTC
    else:
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        tz = timezone(sign * timedelta(minutes=minutes))
    try:
        dt = datetime(
            int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro, tzinfo=tz
        )
    except ValueError:
        return None
    return dt.astimezone(UTC)


def _clean_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _parse_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "t", "1", "yes", "y"):
        return True
    if text in ("false", "f", "0", "no", "n"):
        return False
    return None


def _parse_tags(value: Any) -> tuple[str, ...]:
    """Tags lower-cased and trimmed, empties dropped, first occurrence order kept."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items: Iterable[Any] = json.loads(text)
            except ValueError:
                items = text.split(";")
        else:
            items = text.split(";")
    else:
        items = value
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        tag = str(item).strip().lower()
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return [
                {k.strip(): (v if v != "" else None) for k, v in row.items() if k is not None}
                for row in csv.DictReader(fh)
            ]
    if suffix == ".jsonl":
        rows = []
        with path.open(encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip():
                    rows.append(json.loads(line))
        return rows
    if suffix == ".parquet":
        import polars as pl

        return pl.read_parquet(path).to_dicts()
    raise ValueError(f"unsupported export file: {path}")


def _files(folder: Path, stem: str) -> list[Path]:
    return [
        folder / f"{stem}.{ext}"
        for ext in ("csv", "jsonl", "parquet")
        if (folder / f"{stem}.{ext}").is_file()
    ]


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------


@dataclass
class Version:
    ticket_id: str
    created_at: datetime
    updated_at: datetime
    status: str
    requester_id: str
    priority: str | None
    tags: tuple[str, ...]
    solved_at: datetime | None
    first_reply_at: datetime | None
    order: tuple  # (export date, file index, row number)
    # helpdesk follow-up links (extra columns): the follow-ups this ticket lists
    # (Zendesk followup_ids) and the ticket this one follows up (via.source.from, when
    # via.source.rel is follow_up)
    followup_ids: tuple[str, ...] = ()
    follows_up: str | None = None


@dataclass
class Event:
    event_id: Any
    ticket_id: str
    occurred_at: datetime
    kind: str
    from_value: str | None
    to_value: str | None
    author_role: str | None
    public: bool | None
    body: str | None
    order: tuple  # (export date, file index, row number)


@dataclass
class Ticket:
    ticket_id: str
    created_at: datetime
    requester_id: str
    priority: str | None
    tags: tuple[str, ...]
    first_reply_at: datetime | None
    history: list[tuple[datetime, str | None, str]] = field(default_factory=list)
    followup_ids: tuple[str, ...] = ()
    follows_up: str | None = None
    comments: list[Event] = field(default_factory=list)
    has_comment_events: bool = False
    # the earliest exported event: events cannot see replies before it
    events_start: datetime | None = None


def _parse_ticket_row(row: Mapping[str, Any], src: tzinfo, order: tuple) -> Version | None:
    ticket_id = _clean_str(row.get("ticket_id"))
    requester = _clean_str(row.get("requester_id"))
    status = (_clean_str(row.get("status")) or "").lower()
    created = parse_timestamp(row.get("created_at"), src)
    updated = parse_timestamp(row.get("updated_at"), src)
    if not ticket_id or not requester or status not in STATUSES or not created or not updated:
        return None
    solved_at = parse_timestamp(row.get("solved_at"), src)
    if updated < created or (solved_at is not None and solved_at < created):
        return None  # quarantined by validation (docs/data-quality.md)
    priority = (_clean_str(row.get("priority")) or "").lower() or None
    return Version(
        ticket_id=ticket_id,
        created_at=created,
        updated_at=updated,
        status=status,
        requester_id=requester,
        priority=priority,
        tags=_parse_tags(row.get("tags")),
        solved_at=solved_at,
        first_reply_at=parse_timestamp(row.get("first_reply_at"), src),
        order=order,
        followup_ids=_parse_ids(row.get("followup_ids")),
        follows_up=_clean_str(row.get("followup_source_id"))
        if _clean_str(row.get("via_followup_source_id")) == "follow_up"
        else None,
    )


def _parse_ids(value: Any) -> tuple[str, ...]:
    """A JSON list of ids (text or numbers) as text; anything else: none."""
    if value is None:
        return ()
    items = value
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except ValueError:
            return ()
    if not isinstance(items, list):
        return ()
    return tuple(str(item) for item in items if item is not None)


def _row_key(row: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: row[k] for k in sorted(row)}, sort_keys=True, default=str, ensure_ascii=False
    )


def _load(
    exports_root: Path, source_timezone: str
) -> tuple[dict[str, list[Version]], dict[str, list[Event]], list[date]]:
    src = ZoneInfo(source_timezone)
    root = Path(exports_root)
    folders = (
        sorted(p for p in root.iterdir() if p.is_dir() and _DAY_DIR_RE.match(p.name))
        if root.is_dir()
        else []
    )
    export_dates: list[date] = []
    versions: dict[str, list[Version]] = {}
    events: dict[str, list[Event]] = {}
    seen_events: set[Any] = set()
    for folder in folders:
        try:
            export_date = date.fromisoformat(folder.name)
        except ValueError:
            continue
        export_dates.append(export_date)
        for file_idx, path in enumerate(_files(folder, "tickets")):
            # within one file: exact duplicates folded, else the latest updated_at wins
            # (ties: the later row in the file)
            best: dict[str, Version] = {}
            for rownum, row in enumerate(_read_rows(path), start=1):
                v = _parse_ticket_row(row, src, (export_date, file_idx, rownum))
                if v is None:
                    continue
                cur = best.get(v.ticket_id)
                if cur is None or v.updated_at >= cur.updated_at:
                    if cur is not None and _same_version(cur, v):
                        continue  # exact duplicate: keep the first copy
                    best[v.ticket_id] = v
            for v in best.values():
                versions.setdefault(v.ticket_id, []).append(v)
        for file_idx, path in enumerate(_files(folder, "events")):
            for rownum, row in enumerate(_read_rows(path), start=1):
                ticket_id = _clean_str(row.get("ticket_id"))
                occurred = parse_timestamp(row.get("occurred_at"), src)
                kind = (_clean_str(row.get("kind")) or "").lower()
                if not ticket_id or occurred is None or kind not in EVENT_KINDS:
                    continue
                event_id = _clean_str(row.get("event_id"))
                key = ("id", event_id) if event_id else ("row", _row_key(row))
                if key in seen_events:
                    continue  # the same event exported twice
                seen_events.add(key)
                role = _clean_str(row.get("author_role"))
                fv = _clean_str(row.get("from_value"))
                tv = _clean_str(row.get("to_value"))
                body = row.get("body")
                events.setdefault(ticket_id, []).append(
                    Event(
                        event_id=event_id,
                        ticket_id=ticket_id,
                        occurred_at=occurred,
                        kind=kind,
                        from_value=fv.lower() if fv and kind == "status_change" else fv,
                        to_value=tv.lower() if tv and kind == "status_change" else tv,
                        author_role=role.lower() if role else None,
                        public=_parse_bool(row.get("public")),
                        body=None if body is None else str(body),
                        order=(export_date, file_idx, rownum),
                    )
                )
    return versions, events, export_dates


def _same_version(a: Version, b: Version) -> bool:
    return (
        a.created_at,
        a.updated_at,
        a.status,
        a.requester_id,
        a.priority,
        a.tags,
        a.solved_at,
        a.first_reply_at,
    ) == (
        b.created_at,
        b.updated_at,
        b.status,
        b.requester_id,
        b.priority,
        b.tags,
        b.solved_at,
        b.first_reply_at,
    )


# --------------------------------------------------------------------------
# status history (DECISIONLOG "Status history")
# --------------------------------------------------------------------------


def _history_from_events(
    created: datetime, status_events: list[Event], before: list | None = None
) -> list:
    """Events decide; `before` is a snapshot history of the time before the first event."""
    first_from = status_events[0].from_value
    hist: list[tuple[datetime, str | None, str]] = []
    if before:
        hist = list(before)
        current = hist[-1][2]
    elif first_from in UNSOLVED:
        current = first_from
        hist.append((created, None, current))
    elif first_from in SOLVED:
        # the history starts solved: created already solved
        hist.append((created, None, "new"))
        hist.append((created, "new", first_from))
        current = first_from
    else:
        current = "new"
        hist.append((created, None, current))
    for ev in status_events:
        to = ev.to_value
        if to not in STATUSES or to in (DELETED, current):
            continue
        hist.append((max(ev.occurred_at, created), current, to))
        current = to
    return hist


def _history_from_snapshots(created: datetime, versions: list[Version]) -> list:
    hist: list[tuple[datetime, str | None, str]] = [(created, None, "new")]
    prev_status = "new"
    prev_updated = created
    prev_sa: datetime | None = None
    first = True
    for v in versions:
        if v.status == DELETED:
            continue  # deleted then restored: the deleted version is ignored
        s = v.status
        sa = v.solved_at
        # solved_at lies in (previous updated_at, this updated_at]; for the first
        # version the predecessor is the creation instant itself, and solved_at ==
        # created_at means "created already solved".
        sa_in_gap = (
            sa is not None
            and (sa > prev_updated or (first and sa == prev_updated))
            and sa <= v.updated_at
            and (prev_sa is None or sa > prev_sa)
        )
        at = max(v.updated_at, created)
        if prev_status in SOLVED and sa_in_gap and not first:
            # solved before, solved again since: reopened in between, instant unknown;
            # the reopen is placed at the new solve (DECISIONLOG)
            hist.append((max(sa, created), prev_status, "open"))
            hist.append((max(sa, created), "open", "solved"))
            if s != "solved":
                hist.append((at, "solved", s))
        elif prev_status in UNSOLVED and s == "closed" and sa_in_gap:
            # solved_at says when it was solved; the close came by updated_at
            hist.append((max(sa, created), prev_status, "solved"))
            hist.append((at, "solved", s))
        elif prev_status in UNSOLVED and s in SOLVED:
            solve_at = sa if sa_in_gap else v.updated_at
            hist.append((max(solve_at, created), prev_status, s))
        elif prev_status in UNSOLVED and s in UNSOLVED and sa_in_gap:
            hist.append((max(sa, created), prev_status, "solved"))
            hist.append((at, "solved", s))
        elif s != prev_status:
            hist.append((at, prev_status, s))
        prev_status = s
        prev_updated = v.updated_at
        prev_sa = sa
        first = False
    return hist


def _build(exports_root: Path, source_timezone: str) -> tuple[dict[str, Ticket], date | None]:
    versions, events, export_dates = _load(Path(exports_root), source_timezone)
    all_events = [e.occurred_at for evs in events.values() for e in evs]
    events_start = min(all_events) if all_events else None
    tickets: dict[str, Ticket] = {}
    for tid, vs in versions.items():
        vs = sorted(vs, key=lambda v: (v.updated_at, v.order))
        latest = vs[-1]
        if latest.status == DELETED:
            continue
        created = latest.created_at
        t = Ticket(
            ticket_id=tid,
            created_at=created,
            requester_id=latest.requester_id,
            priority=latest.priority,
            tags=latest.tags,
            first_reply_at=latest.first_reply_at,
            events_start=events_start,
            followup_ids=latest.followup_ids,
            follows_up=latest.follows_up,
        )
        evs = sorted(events.get(tid, []), key=lambda e: (e.occurred_at, e.order))
        status_events = [e for e in evs if e.kind == "status_change" and e.to_value in STATUSES]
        if status_events:
            first_event = status_events[0].occurred_at
            before = [v for v in vs if v.updated_at < first_event and v.status != DELETED]
            t.history = _history_from_events(
                created, status_events, _history_from_snapshots(created, before) if before else None
            )
        else:
            t.history = _history_from_snapshots(created, vs)
        comments = [e for e in evs if e.kind == "comment"]
        t.has_comment_events = bool(comments)
        t.comments = [e for e in comments if e.occurred_at >= created]
        tickets[tid] = t
    first_export = min(export_dates) if export_dates else None
    return tickets, first_export


def status_history(
    exports_root: Path, *, source_timezone: str = "UTC"
) -> dict[str, list[tuple[datetime, str | None, str]]]:
    """Per non-deleted ticket: [(at (aware, UTC), from_status, to_status)], creation row first."""
    tickets, _ = _build(Path(exports_root), source_timezone)
    return {tid: list(t.history) for tid, t in sorted(tickets.items())}


# --------------------------------------------------------------------------
# per-ticket derived facts
# --------------------------------------------------------------------------


def _status_at(t: Ticket, instant: datetime) -> str | None:
    """Status set by the last transition strictly before ``instant`` (None: not created)."""
    status = None
    for at, _frm, to in t.history:
        if at < instant:
            status = to
    return status


def _first_solve(t: Ticket) -> datetime | None:
    for at, _frm, to in t.history:
        if to in SOLVED:
            return at
    return None


def _is_public_agent(e: Event) -> bool:
    return e.public is True and e.author_role == "agent"


def _reply_candidates(t: Ticket) -> list[Event]:
    """Public agent comments that can stop the first-reply clock."""
    comments = t.comments
    skip_first = (
        bool(comments)
        and _is_public_agent(comments[0])
        and (comments[0].occurred_at == t.created_at)
    )
    cands = [e for e in comments if _is_public_agent(e)]
    if skip_first:
        cands = cands[1:]  # the agent created the ticket with this comment
    return cands


def _exported_reply_predates_events(t: Ticket) -> bool:
    """A reply the helpdesk reports before the first exported events: events can't see it."""
    fr = t.first_reply_at
    return (
        fr is not None and fr >= t.created_at and t.events_start is not None and fr < t.events_start
    )


def _first_reply(t: Ticket) -> datetime | None:
    if not t.has_comment_events or _exported_reply_predates_events(t):
        fr = t.first_reply_at
        return fr if fr is not None and fr >= t.created_at else None
    cands = _reply_candidates(t)
    return cands[0].occurred_at if cands else None


def _first_meaningful(t: Ticket, patterns: list[re.Pattern[str]]) -> datetime | None:
    if not t.has_comment_events or _exported_reply_predates_events(t):
        return _first_reply(t)
    for e in _reply_candidates(t):
        body = e.body or ""
        if any(p.search(body) for p in patterns):
            continue
        return e.occurred_at
    return None


def quantile_cont(values: Iterable[float], q: float) -> float | None:
    xs = sorted(values)
    if not xs:
        return None
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(xs[lo])
    return xs[lo] + (pos - lo) * (xs[hi] - xs[lo])


def _sla_targets(sla: Mapping[str, Any] | None) -> dict[str, tuple[timedelta, timedelta]]:
    """Merge ``sla`` over the defaults. A value is either a pair (first reply, resolution)
    of timedeltas, or a mapping with ``first_reply_minutes`` and/or ``resolution_hours``."""
    targets = dict(DEFAULT_SLA)
    for prio, value in (sla or {}).items():
        fr, res = targets.get(prio.lower(), DEFAULT_SLA["normal"])
        if isinstance(value, Mapping):
            if value.get("first_reply_minutes") is not None:
                fr = timedelta(minutes=float(value["first_reply_minutes"]))
            if value.get("resolution_hours") is not None:
                res = timedelta(hours=float(value["resolution_hours"]))
        else:
            fr, res = value
        targets[prio.lower()] = (fr, res)
    return targets


# --------------------------------------------------------------------------
# the digest figures
# --------------------------------------------------------------------------


def compute_digest_figures(
    exports_root: Path,
    day: date,
    *,
    report_timezone: str = "UTC",
    source_timezone: str = "UTC",
    sla: dict | None = None,
    ack_patterns: list[str] | None = None,
    ignore_tags: Iterable[str] = (),
) -> dict:
    tickets, first_export = _build(Path(exports_root), source_timezone)
    rz = ZoneInfo(report_timezone)

    def start(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=rz)

    def day_of(instant: datetime) -> date:
        return instant.astimezone(rz).date()

    def as_of(d: date) -> datetime:
        return start(d + timedelta(days=1))

    asof = as_of(day)
    D = day

    # ---- daily flows
    inflow: Counter[date] = Counter()
    outflow: Counter[date] = Counter()
    reopened: Counter[date] = Counter()
    for t in tickets.values():
        inflow[day_of(t.created_at)] += 1
        for at, frm, to in t.history:
            if frm in UNSOLVED and to in SOLVED:
                outflow[day_of(at)] += 1
            elif frm in SOLVED and to in UNSOLVED:
                reopened[day_of(at)] += 1

    def sum7(counter: Counter[date], d: date) -> int:
        if first_export is None:
            return 0
        return sum(
            counter[d - timedelta(days=k)]
            for k in range(7)
            if d - timedelta(days=k) >= first_export
        )

    def backlog_split(d: date) -> Counter[str]:
        inst = as_of(d)
        c: Counter[str] = Counter()
        for t in tickets.values():
            s = _status_at(t, inst)
            if s in UNSOLVED:
                c[s] += 1
        return c

    split = backlog_split(D)
    backlog = sum(split.values())
    backlog_1 = sum(backlog_split(D - timedelta(days=1)).values())
    backlog_7 = sum(backlog_split(D - timedelta(days=7)).values())

    in7, out7, re7 = sum7(inflow, D), sum7(outflow, D), sum7(reopened, D)

    def growing(d: date) -> bool:
        return sum7(inflow, d) + sum7(reopened, d) > sum7(outflow, d)

    since: date | None = None
    if first_export is not None and first_export <= D and growing(D):
        since = D
        while since - timedelta(days=1) >= first_export and growing(since - timedelta(days=1)):
            since -= timedelta(days=1)

    # days of history: report days from the first export to D; the averages divide by the
    # days of D-6..D among them (7 from the 7th day on)
    history = (D - first_export).days + 1 if first_export is not None else 0
    window = max(1, min(7, history))
    drain_den = out7 - in7 - re7
    days_to_drain = backlog / (drain_den / window) if drain_den > 0 else None
    # round half away from zero, as DuckDB's round (the value is clipped at 0 anyway)
    projected = max(0, math.floor(backlog + 14 * (in7 + re7 - out7) / window + 0.5))
    outflow_avg = out7 / window

    # ---- backlog tickets as of D
    backlog_tickets = [t for t in tickets.values() if _status_at(t, asof) in UNSOLVED]

    # ---- aging
    buckets = {name: 0 for name, _ in AGING_BUCKETS}
    oldest_id: str | None = None
    oldest_age: float | None = None
    for t in sorted(backlog_tickets, key=lambda t: t.ticket_id):
        age = (asof - t.created_at).total_seconds() / 86400
        for name, upper in AGING_BUCKETS:
            if age < upper:
                buckets[name] += 1
                break
        if oldest_age is None or age > oldest_age:
            oldest_id, oldest_age = t.ticket_id, age

    # ---- reopen and recontact rates
    cohort_lo, cohort_hi = D - timedelta(days=13), D - timedelta(days=7)
    cohort = []
    for t in tickets.values():
        fs = _first_solve(t)
        if fs is not None and cohort_lo <= day_of(fs) <= cohort_hi:
            cohort.append((t, fs))
    by_requester: dict[str, list[Ticket]] = {}
    for t in tickets.values():
        by_requester.setdefault(t.requester_id, []).append(t)
    n_reopen = sum(
        1
        for t, fs in cohort
        if any(
            frm in SOLVED and to in UNSOLVED and fs < at <= fs + WEEK for at, frm, to in t.history
        )
    )
    # any ticket of the requester, or a follow-up the ticket lists (Zendesk followup_ids)
    n_recontact = sum(
        1
        for t, fs in cohort
        if any(
            o.ticket_id != t.ticket_id and fs < o.created_at <= fs + WEEK
            for o in [*by_requester[t.requester_id]]
            + [tickets[f] for f in t.followup_ids if f in tickets]
        )
    )
    reopen_rate = n_reopen / len(cohort) if cohort else None
    recontact_rate = n_recontact / len(cohort) if cohort else None

    # same issue: another ticket of the requester in the window sharing a driver value
    # (latest tags less the ignored ones), or a linked follow-up (either direction)
    ignored_tags = {str(x).strip().lower() for x in ignore_tags}

    def driver_values(t: Ticket) -> set[str]:
        return {tag for tag in t.tags if tag not in ignored_tags}

    def linked(t: Ticket, o: Ticket) -> bool:
        return o.ticket_id in t.followup_ids or o.follows_up == t.ticket_id

    def same_issue(t: Ticket, fs: datetime) -> bool:
        for o in tickets.values():
            if o.ticket_id == t.ticket_id or not fs < o.created_at <= fs + WEEK:
                continue
            if linked(t, o):
                return True
            if o.requester_id == t.requester_id and driver_values(o) & driver_values(t):
                return True
        return False

    n_same_issue = sum(1 for t, fs in cohort if same_issue(t, fs))
    same_issue_rate = n_same_issue / len(cohort) if cohort else None

    # ---- response
    patterns = [
        re.compile(p, re.IGNORECASE)
        for p in (DEFAULT_ACK_PATTERNS if ack_patterns is None else ack_patterns)
    ]
    w_lo = D - timedelta(days=6)
    reply_minutes: list[float] = []
    ttfmr_minutes: list[float] = []
    resolution_hours: list[float] = []
    first_reply_of: dict[str, datetime | None] = {}
    for t in tickets.values():
        fr = _first_reply(t)
        first_reply_of[t.ticket_id] = fr
        if w_lo <= day_of(t.created_at) <= D:
            if fr is not None and fr < asof:
                reply_minutes.append((fr - t.created_at).total_seconds() / 60)
            fm = _first_meaningful(t, patterns)
            if fm is not None and fm < asof:
                ttfmr_minutes.append((fm - t.created_at).total_seconds() / 60)
        fs = _first_solve(t)
        if fs is not None and w_lo <= day_of(fs) <= D:
            resolution_hours.append((fs - t.created_at).total_seconds() / 3600)

    def replied_by_asof(t: Ticket) -> datetime | None:
        fr = first_reply_of[t.ticket_id]
        return fr if fr is not None and fr < asof else None

    unreplied_open = sum(1 for t in backlog_tickets if replied_by_asof(t) is None)

    # ---- SLA
    targets = _sla_targets(sla)
    breached = at_risk = 0
    for t in backlog_tickets:
        prio = t.priority if t.priority in targets else "normal"
        fr_target, res_target = targets[prio]
        elapsed = asof - t.created_at
        fr = replied_by_asof(t)
        fr_breached = (
            fr > t.created_at + fr_target if fr is not None else asof > t.created_at + fr_target
        )
        res_breached = asof > t.created_at + res_target
        if fr_breached or res_breached:
            breached += 1
            continue
        fractions = [elapsed / res_target]
        if fr is None:
            fractions.append(elapsed / fr_target)
        if max(fractions) >= 0.75:
            at_risk += 1

    # ---- drivers
    ignored = {str(x).strip().lower() for x in ignore_tags}
    b_lo, b_hi = D - timedelta(days=34), D - timedelta(days=7)
    recent: Counter[str] = Counter()
    base: Counter[str] = Counter()
    inflow_window = 0
    for t in tickets.values():
        cd = day_of(t.created_at)
        in_recent = w_lo <= cd <= D
        in_base = b_lo <= cd <= b_hi
        inflow_window += in_recent
        for tag in t.tags:
            if tag in ignored:
                continue
            if in_recent:
                recent[tag] += 1
            if in_base:
                base[tag] += 1
    rows = []
    # a spike needs its baseline's 28 days all in loaded exports (before, the baseline is
    # only the few older tickets the first export carries)
    baseline_complete = first_export is not None and b_lo >= first_export
    for tag, n in recent.items():
        baseline = base[tag] / 4
        rows.append(
            {
                "driver": tag,
                "tickets_7d": n,
                "baseline_weekly": baseline,
                "share_7d": n / inflow_window,
                "growth": n / baseline if baseline else None,
                "spike": baseline_complete
                and n >= 10
                and (n - baseline) / math.sqrt(max(baseline, 1)) >= 3,
            }
        )
    rows.sort(key=lambda r: (-r["tickets_7d"], r["driver"]))
    drivers = rows[:5] + [r for r in rows[5:] if r["spike"]]

    return {
        "date": D.isoformat(),
        "timezone": report_timezone,
        "backlog": {
            "open_total": backlog,
            "by_status": {s: split[s] for s in UNSOLVED},
            "change_1d": backlog - backlog_1,
            "change_7d": backlog - backlog_7,
        },
        "flow": {
            "inflow": inflow[D],
            "outflow": outflow[D],
            "reopened": reopened[D],
            "net": inflow[D] + reopened[D] - outflow[D],
            "history_days": history,
            "inflow_7d_avg": in7 / window,
            "outflow_7d_avg": outflow_avg,
            "reopened_7d_avg": re7 / window,
            "inflow_above_outflow_since": since.isoformat() if since else None,
            "days_to_drain": days_to_drain,
            "projected_backlog_14d": projected,
        },
        "aging": {
            "buckets": buckets,
            "oldest_ticket_id": oldest_id,
            "oldest_age_days": oldest_age,
        },
        "rates": {
            "reopen_rate_7d": reopen_rate,
            "reopen_cohort": len(cohort),
            "recontact_rate_7d": recontact_rate,
            "recontact_cohort": len(cohort),
            "same_issue_recontact_rate_7d": same_issue_rate,
            "same_issue_recontacted": n_same_issue,
        },
        "response": {
            "first_reply_p50_minutes": quantile_cont(reply_minutes, 0.5),
            "first_reply_p90_minutes": quantile_cont(reply_minutes, 0.9),
            "ttfmr_p50_minutes": quantile_cont(ttfmr_minutes, 0.5),
            "ttfmr_p90_minutes": quantile_cont(ttfmr_minutes, 0.9),
            "resolution_p50_hours": quantile_cont(resolution_hours, 0.5),
            "unreplied_open": unreplied_open,
        },
        "sla": {"breached_open": breached, "at_risk_open": at_risk},
        "backlog_days": backlog / outflow_avg if outflow_avg else None,
        "drivers": drivers,
    }
