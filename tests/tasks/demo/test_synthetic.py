"""Tests of the synthetic export generator (tasks/demo/synthetic.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from tasks.contract import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from tasks.demo.config import demo_range
from tasks.demo.synthetic import GeneratedHistory, SyntheticConfig, generate_exports

TICKET_REQUIRED = REQUIRED_COLUMNS["tickets"]
TICKET_COLUMNS = tuple(CANONICAL_COLUMNS["tickets"])
EVENT_COLUMNS = (
    "event_id",
    "ticket_id",
    "occurred_at",
    "kind",
    "from_value",
    "to_value",
    "author_id",
    "author_role",
    "public",
    "body",
)
STATUSES = {"new", "open", "pending", "hold", "solved", "closed", "deleted"}
UNSOLVED = {"new", "open", "pending", "hold"}
START = date(2026, 3, 2)


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".jsonl":
        return pl.read_ndjson(path)
    return pl.read_parquet(path)


def _instant(col: str) -> pl.Expr:
    """Parse an ISO 8601 timestamp with offset (or keep a parquet timestamp) as UTC."""
    return (
        pl.col(col)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_unit="us")
        .dt.convert_time_zone("UTC")
        .alias(col)
    )


def _load(root: Path, name: str, hist: GeneratedHistory) -> pl.DataFrame:
    """Every day's file of one kind, with an ``export_date`` column and UTC instants."""
    frames = []
    for d in hist.days:
        df = pl.read_csv(root / d.isoformat() / f"{name}.csv", infer_schema=False)
        frames.append(df.with_columns(pl.lit(d).alias("export_date")))
    out = pl.concat(frames)
    cols = ("created_at", "updated_at", "solved_at", "first_reply_at", "occurred_at")
    return out.with_columns(_instant(c) for c in cols if c in out.columns)


@pytest.fixture(scope="module")
def sixty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedHistory]:
    root = tmp_path_factory.mktemp("exports")
    return root, generate_exports(root, SyntheticConfig(start=START))


def _small(**kw: object) -> SyntheticConfig:
    base: dict[str, object] = {"start": START, "days": 10, "tickets_per_day": 15.0}
    base.update(kw)
    return SyntheticConfig(**base)  # type: ignore[arg-type]


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = generate_exports(tmp_path / "a", _small(seed=3))
    b = generate_exports(tmp_path / "b", _small(seed=3))
    generate_exports(tmp_path / "c", _small(seed=4))
    rel = sorted(p.relative_to(tmp_path / "a") for p in a.files)
    assert rel == sorted(p.relative_to(tmp_path / "b") for p in b.files)
    for r in rel:
        assert (tmp_path / "a" / r).read_bytes() == (tmp_path / "b" / r).read_bytes(), r
    assert a.transitions == b.transitions
    assert any((tmp_path / "a" / r).read_bytes() != (tmp_path / "c" / r).read_bytes() for r in rel)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_one_folder_per_day_with_canonical_columns(tmp_path: Path, fmt: str) -> None:
    hist = generate_exports(tmp_path, _small(fmt=fmt, days=4))
    assert hist.days == [START + timedelta(days=i) for i in range(4)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [d.isoformat() for d in hist.days]
    for d in hist.days:
        folder = tmp_path / d.isoformat()
        assert sorted(p.name for p in folder.iterdir()) == [f"events.{fmt}", f"tickets.{fmt}"]
        tickets = _read(folder / f"tickets.{fmt}")
        events = _read(folder / f"events.{fmt}")
        assert tuple(tickets.columns) == TICKET_COLUMNS
        assert tuple(events.columns) == EVENT_COLUMNS
        assert tickets.height > 0
        assert events.height > 0
        for col in TICKET_REQUIRED:
            assert tickets[col].null_count() == 0, (d, col)
        assert set(tickets["status"].unique()) <= STATUSES
        assert tickets["ticket_id"].n_unique() == tickets.height
        assert events["event_id"].n_unique() == events.height
        if fmt != "csv":
            assert tickets.schema["tags"] == pl.List(pl.String)
            assert events.schema["public"] == pl.Boolean
        if fmt == "parquet":
            assert isinstance(tickets.schema["created_at"], pl.Datetime)


def test_without_events_only_tickets_are_written(tmp_path: Path) -> None:
    hist = generate_exports(tmp_path, _small(with_events=False, days=3))
    assert all(p.name == "tickets.csv" for p in hist.files)
    assert len(hist.files) == 3
    assert not list(tmp_path.glob("*/events.*"))


def test_events_and_ticket_rows_fall_in_their_day_in_the_export_zone(tmp_path: Path) -> None:
    zone = "Europe/Berlin"  # crosses the switch to summer time on 2026-03-29
    hist = generate_exports(tmp_path, _small(start=date(2026, 3, 26), days=6, timezone=zone))
    tz = ZoneInfo(zone)
    tickets = _load(tmp_path, "tickets", hist)
    events = _load(tmp_path, "events", hist)
    raw = pl.read_csv(tmp_path / "2026-03-30" / "events.csv", infer_schema=False)
    assert raw["occurred_at"].str.ends_with("+02:00").all()
    for d in hist.days:
        lo = datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)
        hi = datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        ev = events.filter(pl.col("export_date") == d)
        assert ev["occurred_at"].min() >= lo
        assert ev["occurred_at"].max() < hi
        tk = tickets.filter(pl.col("export_date") == d)
        inside = tk.filter(pl.col("updated_at") >= lo)
        assert inside["updated_at"].max() < hi
        # only the first export carries rows last touched earlier: the unsolved backlog
        carried = tk.filter(pl.col("updated_at") < lo)
        if d != hist.days[0]:
            assert carried.height == 0
        else:
            assert carried.height > 0
            assert set(carried["status"]) <= UNSOLVED
        # every ticket with an event that day is listed (a satisfaction rating updates a
        # ticket without an event)
        assert set(ev["ticket_id"]) <= set(inside["ticket_id"])


def test_truth_matches_the_exports(sixty: tuple[Path, GeneratedHistory]) -> None:
    root, hist = sixty
    events = _load(root, "events", hist)
    tickets = _load(root, "tickets", hist)
    status_events = events.filter(pl.col("kind") == "status_change").select(
        "ticket_id",
        pl.col("occurred_at").alias("at"),
        pl.col("from_value").alias("from_status"),
        pl.col("to_value").alias("to_status"),
    )
    truth = hist.transitions_frame.filter(pl.col("at") >= hist.window_start)
    assert status_events.sort(pl.all()).equals(truth.sort(pl.all()))

    # a ticket's events share an instant only at creation (created solved, agent-created)
    created = tickets.select("ticket_id", "created_at").unique()
    ties = events.group_by("ticket_id", "occurred_at").len().filter(pl.col("len") > 1)
    ties = ties.join(created, on="ticket_id")
    assert ties.height > 0
    assert (ties["occurred_at"] == ties["created_at"]).all()

    # each exported row shows the truth as of the end of its day
    history = hist.transitions_frame.sort("at")
    rows = tickets.with_columns(
        (pl.col("export_date").cast(pl.Datetime("us")) + pl.duration(days=1))
        .dt.replace_time_zone("UTC")
        .alias("as_of")
    ).sort("as_of")
    status_asof = rows.join_asof(
        history.rename({"at": "t_at"}),
        left_on="as_of",
        right_on="t_at",
        by="ticket_id",
        strategy="backward",
        allow_exact_matches=False,
    )
    assert status_asof["t_at"].null_count() == 0
    assert (status_asof["status"] == status_asof["to_status"]).all()
    solves = history.filter(pl.col("to_status") == "solved").rename({"at": "solve_at"})
    solved_asof = rows.join_asof(
        solves.select("ticket_id", "solve_at"),
        left_on="as_of",
        right_on="solve_at",
        by="ticket_id",
        strategy="backward",
        allow_exact_matches=False,
    )
    same = (solved_asof["solved_at"] == solved_asof["solve_at"]) | (
        solved_asof["solved_at"].is_null() & solved_asof["solve_at"].is_null()
    )
    assert same.all()

    # first_reply_at is the truth's first reply once it has happened
    facts = hist.ticket_facts.select("ticket_id", "first_reply_at", "first_meaningful_reply_at")
    fr = rows.join(facts, on="ticket_id", suffix="_truth")
    shown = fr.filter(pl.col("first_reply_at").is_not_null())
    assert (shown["first_reply_at"] == shown["first_reply_at_truth"]).all()
    hidden = fr.filter(pl.col("first_reply_at").is_null())
    later = hidden["first_reply_at_truth"] >= hidden["as_of"]
    assert (hidden["first_reply_at_truth"].is_null() | later).all()


def test_daily_truth_obeys_the_backlog_law(sixty: tuple[Path, GeneratedHistory]) -> None:
    _, hist = sixty
    d = hist.daily
    assert d.height == 60
    law = d["backlog"].shift(1) + d["inflow"] - d["outflow"] + d["reopened"]
    assert (law.slice(1) == d["backlog"].slice(1)).all()
    split = d["backlog_new"] + d["backlog_open"] + d["backlog_pending"] + d["backlog_hold"]
    assert (split == d["backlog"]).all()


def test_the_story_is_realistic(sixty: tuple[Path, GeneratedHistory]) -> None:
    root, hist = sixty
    c = hist.counts
    for key in (
        "reopens_in_window",
        "deleted",
        "created_solved",
        "agent_created",
        "recontacts",
        "followups",
        "stale_tickets",
        "carried_over",
        "auto_acks",
    ):
        assert c[key] > 0, key
    d = hist.daily.with_columns(pl.col("date").dt.weekday().alias("wd"))
    weekday = d.filter(pl.col("wd") <= 5)["inflow"].mean()
    weekend = d.filter(pl.col("wd") >= 6)["inflow"].mean()
    assert weekend < 0.5 * weekday
    # the holiday week lets the backlog grow well above where it started, then it drains
    backlog = hist.daily["backlog"]
    peak = int(backlog.arg_max())
    assert backlog[peak] > 1.3 * backlog[0]
    assert backlog[-1] < 0.8 * backlog[peak]
    facts = hist.ticket_facts
    assert facts["tags"].list.len().max() >= 3
    assert set(facts["priority"]) == {"low", "normal", "high", "urgent"}
    assert set(facts["customer_tier"]) == {"enterprise", "business", "pro", "free"}
    assert "vip" in set(facts["tags"].explode())
    reopen_rate = c["reopens"] / facts["first_solved_at"].is_not_null().sum()
    assert 0.05 < reopen_rate < 0.2
    events = _load(root, "events", hist)
    kinds = set(events["kind"])
    assert kinds == {"status_change", "comment", "priority_change", "assignment", "tag_change"}
    comments = events.filter(pl.col("kind") == "comment")
    assert set(comments["author_role"]) == {"end_user", "agent", "system"}
    assert comments.filter(pl.col("public") == "false").height > 0
    acks = comments.filter(pl.col("body").str.contains("(?i)automated response|received your"))
    assert acks.height > 0
    assert (acks["author_role"] == "agent").all()
    assert comments["body"].str.contains(r"@[a-z]+\.[a-z]+").any()  # personal data in text
    # tickets created already solved: creation and solve at created_at
    created_solved = facts.filter(pl.col("created_solved"))
    assert (created_solved["first_solved_at"] == created_solved["created_at"]).all()
    # a reopen after close and a reopen within a week both happen
    t = hist.transitions_frame
    assert t.filter(pl.col("from_status") == "closed").height > 0
    assert t.filter((pl.col("from_status") == "solved") & (pl.col("to_status") == "open")).height


def test_planted_spike_shows_in_the_tags(tmp_path: Path) -> None:
    spike_day = START + timedelta(days=3)
    hist = generate_exports(tmp_path, _small(spike=("checkout-outage", spike_day, 12)))
    tagged = hist.ticket_facts.filter(pl.col("tags").list.contains("checkout-outage"))
    created = tagged.filter(pl.col("spawn").is_null())  # recontacts may follow later
    days = created["created_at"].dt.date()
    assert created.height == 5 * 12
    assert days.min() == spike_day
    assert days.max() == spike_day + timedelta(days=4)


def test_window_bounds_are_aware(sixty: tuple[Path, GeneratedHistory]) -> None:
    _, hist = sixty
    assert hist.window_start == datetime(2026, 3, 2, tzinfo=UTC)
    assert hist.window_end == datetime(2026, 5, 1, tzinfo=UTC)
    first = hist.transitions[0]
    assert first[2] is None
    assert first[1].tzinfo is not None


def test_the_demo_ends_on_the_last_weekday_before_today() -> None:
    """The demo's digest is a working day's: run on a Monday (or at a weekend) it ends on
    Friday, not on a Sunday of one agent on call ("15 in, 1 out" read like a crisis)."""
    for offset in range(7):  # today = Monday 2026-12-07 .. Sunday 2026-12-13
        today = date(2026, 12, 7) + timedelta(days=offset)
        start, end = demo_range(today, 60)
        assert end.weekday() < 5
        assert end < today
        assert all((end + timedelta(days=n)).weekday() >= 5 for n in range(1, (today - end).days))
        assert (end - start).days == 59
    assert demo_range(date(2026, 12, 7), 8) == (date(2026, 11, 27), date(2026, 12, 4))
    assert demo_range(date(2026, 12, 9), 8)[1] == date(2026, 12, 8)  # a Wednesday: Tuesday
