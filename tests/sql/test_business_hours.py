"""Business clocks end to end (exports -> models -> digest) against hand-computed answers
and the naive minute-by-minute clock, on tickets that cross both DST changes of
Europe/Berlin and America/New_York, holidays, weekends, a lunch break, a change of hours
and a group with its own schedule (tests/support/business_tickets.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from tasks import ingest, models, quality, warehouse
from tasks.config import Settings, load_settings
from tasks.render.blocks import build_payload
from tasks.render.markdown import render_markdown
from tasks.reports import digest, review
from tests.support.business_tickets import (
    HOURS,
    SLA,
    STRETCHES,
    Truth,
    clocks,
    generated,
    naive_figures,
    planted,
    write_stretch,
)
from tests.support.loading import load_exports
from tests.support.tables import differing_rows


@pytest.fixture(scope="module")
def stretches(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[duckdb.DuckDBPyConnection, Settings, list[Truth], date, date]]]:
    """Each stretch loaded into its own warehouse with the schedules and business SLA."""
    everything = planted() + generated()
    built = []
    for first, last in STRETCHES:
        folder = tmp_path_factory.mktemp(f"hours-{first}")
        truths = [t for t in everything if first <= t.created_at.date() <= last]
        final = write_stretch(folder / "exports", truths, first)
        settings = load_settings(
            db_path=folder / "backlog.duckdb",
            out_dir=folder / "out",
            business_hours=HOURS,
            sla=SLA,
        )
        con = warehouse.connect(settings)
        load_exports(con, folder / "exports")
        # one build after both loads: the last export holds weeks of late data, which an
        # incremental build leaves to a full rebuild for days before its lookback window
        models.build_models(con)
        built.append((con, settings, truths, first, final))
    yield built
    for con, *_ in built:
        con.close()


def _metrics(stretches: list, ticket_id: str) -> dict[str, Any]:
    for con, *_ in stretches:
        row = con.execute(
            "select business_schedule, first_reply_business_minutes, ttfmr_business_minutes, "
            "first_resolution_business_minutes, full_resolution_business_minutes "
            "from marts.fct_ticket_metrics where ticket_id = $id",
            {"id": ticket_id},
        ).fetchone()
        if row:
            keys = ("schedule", "first_reply", "ttfmr", "first_resolution", "full_resolution")
            return dict(zip(keys, row, strict=True))
    raise AssertionError(f"{ticket_id} not built")


# Each expectation worked out by hand; UTC instants with the local times beside them.
# Default schedule (Europe/Berlin): Mon 09:00-12:30 + 13:30-18:00, Tue-Thu 09:00-17:00,
# Fri 09:00-15:00, Sun 01:00-05:00 + 09:00-17:00, Sat closed; DE-BE holidays + 2025-03-21;
# from 2025-10-20 Mon-Thu 08:00-16:00, Fri 08:00-14:00. Americas (New York): Mon-Fri
# 08:00-20:00, Sun 00:00-04:00 + 09:00-17:00, US holidays.
HAND_COMPUTED = {
    # Fri 28 Mar 18:00 CET (closed from 15:00) -> Mon 31 Mar 09:05 CEST: Sat closed; Sun 30
    # Mar is the spring change: 01:00 CET-05:00 CEST = 3 real hours (180) + 09:00-17:00
    # (480); Mon 09:00-09:05 (5): 180 + 480 + 5 = 665
    "P01": {"schedule": "default", "first_reply": 665.0, "ttfmr": 665.0},
    # Tue 25 Mar exactly at opening 09:00 CET -> reply exactly at closing 17:00: 480; solved
    # Wed 26 Mar 09:00 exactly at opening: nothing counts between: 480 min = 8 h
    "P02": {"first_reply": 480.0, "first_resolution": 480.0, "full_resolution": 480.0},
    # Mon 24 Mar 12:00 -> 14:00 CET across the lunch break: 12:00-12:30 (30) + 13:30-14:00
    # (30) = 60; group Support has no schedule of its own: default
    "P03": {"schedule": "default", "first_reply": 60.0},
    # Thu 17 Apr 16:00 CEST -> Tue 22 Apr 09:30: Thu 16:00-17:00 (60); Good Friday 18 Apr
    # closed; Sat closed; Sun 20 Apr (Easter Sunday is no holiday in Berlin) 01:00-05:00
    # (240) + 09:00-17:00 (480); Easter Monday 21 Apr closed; Tue 09:00-09:30 (30):
    # 60 + 240 + 480 + 30 = 810
    "P04": {"first_reply": 810.0},
    # Sat 22 Mar 10:00 CET, auto-acknowledged at 10:01 (closed: 0 business minutes), replied
    # Mon 24 Mar exactly at opening 09:00: Sun 23 Mar 240 + 480 = 720 for the meaningful one
    "P05": {"first_reply": 0.0, "ttfmr": 720.0},
    # Americas: Fri 7 Mar 19:00 EST -> Mon 10 Mar 08:30 EDT: Fri 19:00-20:00 (60); Sun 9
    # Mar spring change: 00:00 EST-04:00 EDT = 3 real hours (180) + 09:00-17:00 (480); Mon
    # 08:00-08:30 (30): 60 + 180 + 480 + 30 = 750
    "P06": {"schedule": "americas", "first_reply": 750.0},
    # change of hours on Mon 20 Oct: Fri 17 Oct 14:00 CEST (old Friday to 15:00: 60); Sun
    # 19 Oct 240 + 480; Mon 20 Oct new hours from 08:00, reply 08:30 (30): 60 + 720 + 30
    # = 810 (with the old hours Monday would give 0: 780)
    "P07": {"first_reply": 810.0},
    # Sat 25 Oct 12:00 CEST -> Sun 26 Oct 10:00 CET (autumn change): 01:00 CEST-05:00 CET =
    # 5 real hours (300) + 09:00-10:00 (60) = 360
    "P08": {"first_reply": 360.0},
    # US Billing (Americas): Sat 1 Nov 12:00 EDT -> Mon 3 Nov 08:10 EST: Sun 2 Nov autumn
    # change 00:00 EDT-04:00 EST = 5 real hours (300) + 09:00-17:00 (480); Mon 08:00-08:10
    # (10): 300 + 480 + 10 = 790
    "P09": {"schedule": "americas", "first_reply": 790.0},
    # Tue 21 Oct 15:00 CEST -> reply exactly at the new closing 16:00 (60: nothing after
    # it); solved Wed 22 Oct exactly at opening 08:00: still 60 = 1 h
    "P10": {"first_reply": 60.0, "first_resolution": 60.0},
    # Thu 2 Oct 16:30 CEST -> Mon 6 Oct 09:10: Thu 16:30-17:00 (30); German Unity Day Fri 3
    # Oct closed; Sat closed; Sun 5 Oct 240 + 480; Mon 09:00-09:10 (10): 30 + 720 + 10 = 760
    "P11": {"first_reply": 760.0},
    # Thu 20 Mar 16:00 CET -> Fri 21 Mar 14:00, a listed holiday: Thu 16:00-17:00 = 60
    "P12": {"first_reply": 60.0},
}


@pytest.mark.parametrize("ticket_id", sorted(HAND_COMPUTED))
def test_hand_computed_business_minutes(stretches: list, ticket_id: str) -> None:
    got = _metrics(stretches, ticket_id)
    for key, expected in HAND_COMPUTED[ticket_id].items():
        assert got[key] == expected, (ticket_id, key, got)


def test_every_ticket_equals_the_naive_clock_to_the_minute(stretches: list) -> None:
    checked = 0
    for con, _settings, truths, first, final in stretches:
        naive = clocks(first, final)
        built = {
            row[0]: row[1:]
            for row in con.execute(
                "select ticket_id, business_schedule, first_reply_business_minutes, "
                "ttfmr_business_minutes, first_resolution_business_minutes, "
                "full_resolution_business_minutes from marts.fct_ticket_metrics"
            ).fetchall()
        }
        for t in truths:
            clock = naive[t.schedule]

            def upto(end: Any, t: Truth = t, clock: Any = clock) -> float | None:
                return None if end is None else float(clock.minutes(t.created_at, end))

            solved = upto(t.solved_at)
            expected = (t.schedule, upto(t.first_reply_at), upto(t.reply_at), solved, solved)
            assert built[t.ticket_id] == expected, t
            checked += 1
    assert checked > 400


def _digest_days(first: date, final: date) -> list[date]:
    """Every fifth day while tickets are still created (each has an export; a day without
    one is a missing day, whose digest shows the last complete day's figures)."""
    last = min(final, next(end for start, end in STRETCHES if start == first))
    days, day = [], first + timedelta(days=6)
    while day <= last:
        days.append(day)
        day += timedelta(days=5)
    return days


def test_digest_business_figures_and_sla_equal_the_naive_ones(stretches: list) -> None:
    """Every fifth day of both stretches: the five business figures to the minute, and the
    SLA counts (business clock for high, calendar for normal) exactly."""
    compared = 0
    for con, settings, truths, first, final in stretches:
        naive = clocks(first, final)
        for day in _digest_days(first, final):
            built = digest.build_digest(con, day, settings)
            expected = naive_figures(truths, day, naive)
            for key, value in expected["response"].items():
                assert built["response"][key] == pytest.approx(value, abs=1e-9), (day, key)
            assert built["sla"] == expected["sla"], day
            compared += 1
    assert compared >= 15


def test_a_business_sla_counts_open_hours_to_the_as_of_instant(stretches: list) -> None:
    con = stretches[0][0]
    rows = con.execute(
        "select report_date, sla_clock, sla_age_minutes, is_first_reply_breached, "
        "is_sla_at_risk from marts.fct_open_tickets where ticket_id = 'P13' order by 1"
    ).fetchall()
    # P13 (high, business clock): Mon 24 Mar 16:00 CET, unreplied at the end of Mon (Tue
    # 00:00 UTC = 01:00 CET): 16:00-18:00 = 120 business minutes (calendar: 480). Target
    # 120: not past it (120 > 120 is false), 120/120 >= 0.75: at risk. Replied Tue 09:30:
    # 120 + 30 = 150 > 120: breached at the end of Tue; its age 120 + 480 = 600.
    assert rows[0] == (date(2025, 3, 24), "business", 120.0, False, True)
    assert rows[1] == (date(2025, 3, 25), "business", 600.0, True, False)
    # the work-next SLA risk reads the same clock: on Tue the first reply is done, so only
    # resolution runs: 600 business minutes of 960 = 0.625 (calendar: 33 h of 16 h, capped 1)
    risk = con.execute(
        "select sla_risk from marts.fct_work_next "
        "where ticket_id = 'P13' and report_date = '2025-03-25'"
    ).fetchone()
    assert risk == (0.625,)


def test_review_pack_shows_business_hours_after_each_calendar_figure(stretches: list) -> None:
    con, settings, *_ = stretches[1]
    pack = review.build_review(con, "2025-W43", settings)
    keys = [row["key"] for row in pack["kpis"]]
    for figure in ("first_reply_p50", "first_reply_p90", "ttfmr_p50", "resolution_p50"):
        calendar = keys.index(figure)
        assert keys[calendar + 1] == figure.replace("_p", "_business_p"), keys
    labels = [row["label"] for row in pack["kpis"] if "business" in row["key"]]
    assert len(labels) == 4
    assert all(label.endswith("(business hours)") for label in labels)


def test_digest_shows_business_hours_beside_the_calendar_figures(stretches: list) -> None:
    con, settings, _truths, first, _final = stretches[0]
    built = digest.build_digest(con, first + timedelta(days=20), settings)
    text = render_markdown(built)
    assert "- Business hours: first reply median" in text
    fields = [
        field["text"]
        for block in build_payload(built)["blocks"]
        for field in block.get("fields", [])
    ]
    assert any(text.startswith("*First meaningful response (business hours)*") for text in fields)
    assert any(text.startswith("*Resolution (business hours)*") for text in fields)


def test_morning_by_morning_builds_equal_the_full_build(
    stretches: list, tmp_path: pytest.TempPathFactory
) -> None:
    """The autumn stretch as mornings run it: one full build up to 17 Oct, then each day's
    export loaded and built incrementally to 3 Nov (the change of hours on 20 Oct, Berlin's
    DST end on 26 Oct and New York's on 2 Nov fall in these mornings), the rest in one
    more build; every model table then equals the fixture's one full build, row for row."""
    full_con, settings, _truths, first, final = stretches[1]
    exports = settings.db_path.parent / "exports"
    path = tmp_path / "mornings.duckdb"
    morning = load_settings(db_path=path, out_dir=tmp_path / "out", business_hours=HOURS, sla=SLA)
    cut, last_morning = date(2025, 10, 17), date(2025, 11, 3)
    plans = []
    days = ingest.discover_exports(exports)
    runner = quality.SuiteRunner()
    with warehouse.connect(morning) as con:
        load_exports(con, exports, days=[d for d in days if d.export_date < cut], runner=runner)
        for day in (d for d in days if d.export_date >= cut):
            ingest.load_day(con, day, exports, runner=runner)
            if day.export_date <= last_morning:
                plans.append(models.build_models(con))
        plans.append(models.build_models(con))
        business = con.execute(
            "select count(*) from marts.fct_open_tickets where sla_clock = 'business'"
        ).fetchone()[0]
    assert first < cut < last_morning < final
    assert business > 0
    assert plans[0].full
    assert [plan.reason for plan in plans[1:] if plan.full] == []
    assert len(plans) == 19
    full_con.execute(f"attach '{path}' as mornings (read_only)")
    try:
        differing = {
            model.table: differing_rows(full_con, model.table, f"mornings.{model.table}")
            for model in models.discover_models()
        }
    finally:
        full_con.execute("detach mornings")
    assert {table: n for table, n in differing.items() if n} == {}
