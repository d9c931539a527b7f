"""The weekly review pack: its numbers are the marts', every kind of week renders, and the HTML
is one self-contained page that a real browser shows without a broken image or console error.

One generated history per module, in Europe/Berlin: from Wednesday 2026-02-18 (a partial
first week, 2026-W08) to Tuesday 2026-03-31 (a partial last week, 2026-W14), across the
switch to summer time on Sunday 2026-03-29 (2026-W13, the week most tests look at).
"""

from __future__ import annotations

import base64
import csv
import json
import math
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tasks import models, quality, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.render import charts
from tasks.reports import review, review_drivers, series
from tests.support.loading import load_exports

ZONE = "Europe/Berlin"
START = date(2026, 2, 18)
DAYS = 42
WEEK = "2026-W13"  # Mon 2026-03-23 .. Sun 2026-03-29, 23 hours long in Berlin
MONDAY, SUNDAY = date(2026, 3, 23), date(2026, 3, 29)
TICKET_URL = "https://acme.zendesk.com/agent/tickets/{ticket_id}"
PLANTED_DAY = date(2026, 3, 27)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PNG = b"\x89PNG\r\n\x1a\n"
CHARTS = ["aging", "automation", "drivers", "effort", "flow", "heatmap", "reopens"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("review")
    exports = root / "exports"
    generate_exports(
        exports,
        SyntheticConfig(
            start=START,
            days=DAYS,
            seed=21,
            tickets_per_day=30,
            timezone=ZONE,
            spike=("refund", MONDAY + timedelta(days=1), 6),
        ),
    )
    _plant_bad_row(exports / PLANTED_DAY.isoformat() / "tickets.csv")
    settings = load_settings(
        db_path=root / "backlog.duckdb",
        out_dir=root / "out",
        report_timezone=ZONE,
        source_timezone=ZONE,
        slack={"ticket_url_template": TICKET_URL},
    )
    con = warehouse.connect(settings)
    load_exports(con, exports)  # as a backfill: batches of days, one GX run per batch
    models.build_models(con)
    pack = review.build_review(con, WEEK, settings)
    paths = review.write_review(pack, settings.out_dir)
    yield {"con": con, "settings": settings, "root": root, "pack": pack, "paths": paths}
    con.close()


def _plant_bad_row(path: Path) -> None:
    """Append a copy of the first ticket row with an unknown status: one quarantined row."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    bad = rows[0] | {"ticket_id": "9999999", "status": "escalated-to-mars"}
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n").writerow(bad)


def _one(con, sql: str, params: list | None = None) -> Any:
    return con.execute(sql, params or []).fetchone()[0]


def _close(actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)


# --- the numbers ----------------------------------------------------------------------------


SUMMED = {"inflow": "inflow", "outflow": "outflow", "reopened": "reopened"}
AT_END = {
    "backlog": ("fct_daily_flow", "backlog"),
    "reopen_rate": ("fct_daily_rates", "reopen_rate_7d"),
    "recontact_rate": ("fct_daily_rates", "recontact_rate_7d"),
    "same_issue_recontact_rate": ("fct_daily_rates", "same_issue_recontact_rate_7d"),
    "first_reply_p50": ("fct_daily_rates", "first_reply_p50_minutes"),
    "first_reply_p90": ("fct_daily_rates", "first_reply_p90_minutes"),
    "ttfmr_p50": ("fct_daily_rates", "ttfmr_p50_minutes"),
    "resolution_p50": ("fct_daily_rates", "resolution_p50_hours"),
    "resolution_p90": ("fct_daily_rates", "resolution_p90_hours"),
}


def _mart_week(con, key: str, monday: date) -> Any:
    sunday = monday + timedelta(days=6)
    if key in SUMMED:
        return _one(
            con,
            f"select sum({SUMMED[key]}) from marts.fct_daily_flow "
            "where report_date between ? and ?",
            [monday, sunday],
        )
    table, column = AT_END[key]
    return _one(con, f"select {column} from marts.{table} where report_date = ?", [sunday])


def test_kpis_equal_the_marts(built):
    con, pack = built["con"], built["pack"]
    assert pack["status"] == "complete"
    assert {k["key"] for k in pack["kpis"]} == set(SUMMED) | set(AT_END)
    for kpi in pack["kpis"]:
        key = kpi["key"]
        assert _close(kpi["value"], _mart_week(con, key, MONDAY)), key
        assert _close(kpi["previous"], _mart_week(con, key, MONDAY - timedelta(days=7))), key
        past = [_mart_week(con, key, MONDAY - timedelta(days=7 * k)) for k in range(1, 5)]
        assert kpi["avg_4w_weeks"] == 4
        assert _close(kpi["avg_4w"], sum(past) / 4), key
    by_key = {k["key"]: k for k in pack["kpis"]}
    assert by_key["reopen_rate"]["count"] == _one(
        con, "select reopen_cohort from marts.fct_daily_rates where report_date = ?", [SUNDAY]
    )
    assert by_key["backlog"]["value"] > 0
    assert by_key["inflow"]["value"] > 100


def test_the_html_shows_the_same_numbers(built):
    html = built["paths"][0].read_text(encoding="utf-8")
    for kpi in built["pack"]["kpis"]:
        match = re.search(rf'data-metric="{re.escape(kpi["metric"])}" data-value="([^"]*)"', html)
        assert match, kpi["metric"]
        assert _close(float(match[1]), kpi["value"]), kpi["metric"]
        assert kpi["text"] in html
    md = built["paths"][1].read_text(encoding="utf-8")
    inflow = next(k for k in built["pack"]["kpis"] if k["key"] == "inflow")
    assert f"| Inflow | **{inflow['text']}** |" in md


def test_drivers_and_aging_equal_the_marts(built):
    con, pack = built["con"], built["pack"]
    expected = con.execute(
        """
        select driver, tickets_7d, baseline_weekly, growth, is_spike and is_baseline_complete
        from marts.fct_drivers_daily
        where report_date = ? and tickets_7d > 0
        order by tickets_7d desc, driver
        limit 10
        """,
        [SUNDAY],
    ).fetchall()
    got = [
        (d["driver"], d["tickets"], d["baseline_weekly"], d["growth"], d["spike"])
        for d in pack["drivers"]
    ]
    assert got == [tuple(row) for row in expected]
    for driver in pack["drivers"]:
        previous = _one(
            con,
            "select coalesce(max(tickets_7d), 0) from marts.fct_drivers_daily "
            "where report_date = ? and driver = ?",
            [SUNDAY - timedelta(days=7), driver["driver"]],
        )
        assert driver["previous"] == previous
        assert 1 <= len(driver["example_ticket_ids"]) <= 3
        for ticket_id in driver["example_ticket_ids"]:
            tags, created = con.execute(
                "select tags, created_date from marts.fct_ticket_metrics where ticket_id = ?",
                [ticket_id],
            ).fetchone()
            assert driver["driver"] in tags
            assert MONDAY <= created <= SUNDAY
    # the planted refund spike is the emerging driver of the week
    assert pack["emerging"]["assessed"]
    assert pack["emerging"]["rows"][0]["driver"] == "refund"
    assert pack["emerging"]["rows"][0]["spike"]

    health = con.execute(
        "select aged_0_1d, aged_1_3d, aged_3_7d, aged_7_14d, aged_14_30d, aged_30d_plus "
        "from marts.fct_daily_backlog_health where report_date = ?",
        [SUNDAY],
    ).fetchone()
    assert tuple(pack["aging"]["buckets"].values()) == health
    assert sum(health) == next(k["value"] for k in pack["kpis"] if k["key"] == "backlog")


def test_reopen_hot_spots_equal_the_ticket_mart(built):
    con, pack = built["con"], built["pack"]
    expected = {
        driver: (solved, reopened)
        for driver, solved, reopened in con.execute(
            """
            select tag, count(*), count(*) filter (where is_reopened_within_7d)
            from (
                select unnest(tags) as tag, is_reopened_within_7d
                from marts.fct_ticket_metrics
                where first_solved_date between ? and ?
            )
            group by tag
            """,
            [MONDAY, SUNDAY],
        ).fetchall()
    }
    rows = pack["reopen_hotspots"]["rows"]
    assert {r["driver"]: (r["solved"], r["reopened"]) for r in rows} == expected
    assert sum(r["reopened"] for r in rows) > 0
    big = [r for r in rows if not r["small_sample"]]
    assert [r["share"] for r in big] == sorted((r["share"] for r in big), reverse=True)


def test_data_quality_equals_the_ledger(built):
    con, dq = built["con"], built["pack"]["data_quality"]
    read, loaded, quarantined = con.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from ops.loads "
        "where export_date between ? and ?",
        [MONDAY, SUNDAY],
    ).fetchone()
    assert (dq["rows_read"], dq["rows_loaded"], dq["rows_quarantined"]) == (
        read,
        loaded,
        quarantined,
    )
    assert [d["files"] for d in dq["days"]] == [2] * 7
    planted = next(d for d in dq["days"] if d["date"] == PLANTED_DAY.isoformat())
    assert planted["rows_quarantined"] == 1
    assert dq["status"] == "warn"
    assert [(f["date"], f["column"]) for f in dq["failures"]] == [
        (PLANTED_DAY.isoformat(), "status")
    ]
    assert dq["quarantine_reasons"][0]["rows"] == 1


def test_the_dst_week_counts_berlin_days(built):
    """Inflow of the week that loses an hour, counted from instants in Python."""
    con, pack = built["con"], built["pack"]
    zone = ZoneInfo(ZONE)
    start = datetime(2026, 3, 23, tzinfo=zone)
    end = datetime(2026, 3, 30, tzinfo=zone)
    assert (end - start) == timedelta(days=7)
    assert end.utcoffset() != start.utcoffset()
    created = [
        row[0] for row in con.execute("select created_at from marts.fct_ticket_metrics").fetchall()
    ]
    expected = sum(1 for at in created if start <= at.astimezone(UTC) < end)
    inflow = next(k for k in pack["kpis"] if k["key"] == "inflow")
    assert inflow["value"] == expected
    assert pack["coverage"] == {
        "first_day": "2026-03-23",
        "last_day": "2026-03-29",
        "days": 7,
        "history_days": 40,  # 18 Feb .. 29 Mar 2026: 11 + 29 days
        "note": "",
    }


def test_the_arithmetic_equals_the_marts(built):
    con, settings = built["con"], built["settings"]
    a = built["pack"]["arithmetic"]
    assert a["available"]
    needed, target = con.execute(
        "select outflow_needed_per_day, target_backlog from marts.fct_daily_staffing "
        "where report_date = ?",
        [SUNDAY],
    ).fetchone()
    actual = _one(
        con,
        "select avg(outflow) from marts.fct_daily_flow where report_date between ? and ?",
        [SUNDAY - timedelta(days=27), SUNDAY],
    )
    assert _close(a["needed_per_day"], needed)
    assert _close(a["target_backlog"], target)
    assert _close(a["actual_per_day"], actual)
    assert a["actual_days"] == 28
    assert a["actual_window"] == "the last 4 weeks"
    assert _close(a["gap_per_day"], needed - actual)
    assert a["has_gap"] == (needed - actual > 0)
    assert a["drain_within_days"] == settings.staffing.drain_within_days == 14
    # the backlog part of the mart's figure is the excess over the target spread over 14 days
    flow = con.execute(
        "select inflow_7d_avg + reopened_7d_avg, backlog from marts.fct_daily_flow "
        "where report_date = ?",
        [SUNDAY],
    ).fetchone()
    assert _close(needed, flow[0] + max(0, flow[1] - target) / 14)
    top = con.execute(
        "select driver, tickets_7d from marts.fct_drivers_daily "
        "where report_date = ? and tickets_7d > 0 order by tickets_7d desc, driver limit 3",
        [SUNDAY],
    ).fetchall()
    assert [(d["driver"], d["tickets_7d"]) for d in a["drivers"]] == top
    gap = needed - actual
    for d, (_, tickets) in zip(a["drivers"], top, strict=True):
        assert _close(d["per_day"], tickets / 7)
        expected = min(1.0, tickets / 7 / gap) if gap > 0 else None
        assert _close(d["closes"], expected)
    html = built["paths"][0].read_text(encoding="utf-8")
    assert html.index("What the arithmetic says") < html.index(
        built["pack"]["charts"]["flow"]["title"]
    )
    match = re.search(r'data-arith="gap" data-value="([^"]*)"', html)
    assert match
    assert _close(float(match[1]), gap)
    assert a["assumption"] in html
    md = built["paths"][1].read_text(encoding="utf-8")
    assert "## What the arithmetic says" in md
    assert f"| {top[0][0]} | {top[0][1]} | {top[0][1] / 7:.1f} |" in md


def _rebuild(con, *marts: str) -> None:
    """Build these marts again, whole, from the marts they read (inside the caller's
    transaction)."""
    build_from = _one(con, "select getvariable('build_from')")
    con.execute("set variable build_from = date '0001-01-01'")
    try:
        for name in marts:
            sql = (warehouse.SQL_DIR / "marts" / f"{name}.sql").read_text(encoding="utf-8")
            con.execute(f"create or replace table marts.{name} as {sql}")
    finally:
        con.execute("set variable build_from = ?", [build_from])


def test_the_arithmetic_says_so_when_there_is_no_gap(built):
    con = built["con"]
    con.execute("begin transaction")
    try:
        # a backlog already at its target: the outflow needed is the inflow and reopens alone
        con.execute(
            "update marts.fct_daily_staffing set outflow_needed_per_day = 1 where report_date = ?",
            [SUNDAY],
        )
        _rebuild(con, "fct_staffing_gap", "fct_deflection_drivers")  # the marts the pack reads
        pack = review.build_review(con, WEEK, built["settings"])
    finally:
        con.execute("rollback")
    a = pack["arithmetic"]
    assert not a["has_gap"]
    assert a["gap_per_day"] < 0
    assert "no gap" in a["sentences"][1]
    assert all(d["closes"] is None for d in a["drivers"])
    assert "No gap" in review.render_html(pack)
    assert "no gap" in review.render_markdown(pack, {})


def test_the_heat_map_covers_every_weekday_and_hour_of_8_weeks(built):
    con, heat = built["con"], built["pack"]["heatmap"]
    start = SUNDAY - timedelta(days=55)
    assert heat["start"] == start.isoformat()
    assert heat["days"] == 56
    # the history is shorter than 8 weeks: the pack says the first days are undercounted
    assert start < START
    assert "The exports start on Wed 18 Feb 2026" in heat["note"]
    assert heat["end"] == SUNDAY.isoformat()
    cells = heat["cells"]
    assert len(cells) == 7
    assert all(len(row) == 24 for row in cells)
    created = _one(
        con,
        "select count(*) from marts.fct_ticket_metrics where created_date between ? and ?",
        [start, SUNDAY],
    )
    assert sum(map(sum, cells)) == heat["tickets"] == created > 0
    # row 0 is Monday: the tickets created on Mondays, in the report time zone
    mondays = _one(
        con,
        "select count(*) from marts.fct_ticket_metrics "
        "where created_date between ? and ? and isodow(created_date) = 1",
        [start, SUNDAY],
    )
    assert sum(cells[0]) == mondays
    png = built["pack"]["charts"]["heatmap"]["png"]
    assert png.startswith(PNG)
    assert png == charts.inflow_heatmap_png(cells, start, SUNDAY)


def test_effort_and_automation_equal_the_marts(built):
    con, pack = built["con"], built["pack"]
    effort = pack["effort"]
    rows = con.execute(
        "select exchanges, handoffs from marts.fct_ticket_effort "
        "where last_solved_date between ? and ?",
        [MONDAY, SUNDAY],
    ).fetchall()
    assert effort["tickets"] == len(rows) > 0
    assert effort["over_3_exchanges"] == sum(1 for e, _ in rows if e > 3)
    assert effort["over_2_handoffs"] == sum(1 for _, h in rows if h > 2)
    assert sum(n for _, n in effort["handoffs"]) == len(rows)
    expected = con.execute(
        "select driver, solved_tickets, automatable_tickets from marts.fct_automation_candidates "
        "where report_date = ? order by automatable_tickets desc, automatable_share desc, driver",
        [SUNDAY],
    ).fetchall()
    got = [(c["driver"], c["solved"], c["automatable"]) for c in pack["automation"]]
    assert got == expected
    assert sum(c["automatable"] for c in pack["automation"]) > 0


# --- every kind of week renders ------------------------------------------------------------


def test_a_week_without_data_is_an_error_naming_the_weeks_held(built, tmp_path):
    # the built warehouse holds Wed 18 Feb 2026 (W08) .. Tue 31 Mar 2026 (W14): 42 days
    with pytest.raises(BacklogError) as caught:
        review.build_review(built["con"], "2025-W10", built["settings"])
    assert str(caught.value) == (
        "No data for 2025-W10: the warehouse holds weeks 2026-W08 to 2026-W14 (exports from "
        "Wed 18 Feb 2026 to Tue 31 Mar 2026); pick one of those weeks or load that week's "
        "exports first."
    )
    # the week after the last export is no data either
    with pytest.raises(BacklogError, match="No data for 2026-W15"):
        review.build_review(built["con"], "2026-W15", built["settings"])


def test_an_empty_warehouse_has_no_week_to_review(tmp_path):
    settings = load_settings(db_path=tmp_path / "empty.duckdb", out_dir=tmp_path / "out")
    with (
        warehouse.connect(settings) as con,
        pytest.raises(BacklogError, match="holds no exports yet; load them with"),
    ):
        review.build_review(con, "2026-W13", settings)


def test_a_partial_first_week_renders(built, tmp_path):
    pack = review.build_review(built["con"], "2026-W08", built["settings"])
    assert pack["status"] == "partial"
    assert pack["coverage"]["days"] == 5
    assert "first export is Wed 18 Feb 2026" in pack["coverage"]["note"]
    # Sun 22 Feb has 5 days of history (18..22 Feb): its 7-day averages are over 5 days
    assert pack["coverage"]["history_days"] == 5
    assert pack["coverage"]["note"].endswith(
        "That day has 5 days of history: its daily averages are over those days."
    )
    inflow = next(k for k in pack["kpis"] if k["key"] == "inflow")
    assert inflow["value"] == _one(
        built["con"],
        "select sum(inflow) from marts.fct_daily_flow where report_date between ? and ?",
        [START, date(2026, 2, 22)],
    )
    assert inflow["previous"] is None
    assert inflow["avg_4w"] is None
    assert not pack["emerging"]["assessed"]
    assert "Not assessed yet" in pack["emerging"]["note"]
    assert [d["note"] for d in pack["data_quality"]["days"][:2]] == ["before the first export"] * 2
    html, _md, *pngs = review.write_review(pack, tmp_path)
    assert "partial week" in html.read_text(encoding="utf-8")
    assert sorted(p.stem for p in pngs) == CHARTS
    assert all(p.read_bytes().startswith(PNG) for p in pngs)


def test_a_partial_last_week_takes_its_last_loaded_day(built):
    pack = review.build_review(built["con"], "2026-W14", built["settings"])
    assert pack["status"] == "partial"
    assert pack["as_of"] == "2026-03-31"
    backlog = next(k for k in pack["kpis"] if k["key"] == "backlog")
    assert backlog["value"] == _one(
        built["con"], "select backlog from marts.fct_daily_flow where report_date = '2026-03-31'"
    )
    assert "last export is Tue 31 Mar 2026" in pack["coverage"]["note"]


@pytest.mark.parametrize("week", ["2026-13", "2026-W1", "2026-W00", "2025-W53", "W13", ""])
def test_a_malformed_week_is_a_clear_error(built, week):
    with pytest.raises(BacklogError, match=r"is not an ISO week"):
        review.build_review(built["con"], week, built["settings"])


def test_weeks_are_iso_weeks():
    assert review.parse_week("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert review.week_name(date(2027, 1, 1)) == "2026-W53"
    assert review.last_complete_week(date(2026, 3, 30)) == "2026-W13"
    assert review.last_complete_week(date(2026, 3, 29)) == "2026-W12"


def test_kb_candidates_link_their_drafts_when_the_mart_exists(built):
    con, settings = built["con"], built["settings"]
    # the model runner builds the KB mart (sql/marts/): empty before any KB refresh
    assert built["pack"]["kb_candidates"]["available"]
    assert built["pack"]["kb_candidates"]["rows"] == []
    assert "No knowledge-base candidates this week" in built["paths"][0].read_text("utf-8")
    con.execute("begin transaction")
    try:
        con.execute("drop table marts.fct_kb_candidates")  # a warehouse without the mart
        missing = review.build_review(con, WEEK, settings)
        assert not missing["kb_candidates"]["available"]
        assert "No knowledge-base candidates yet" in review.render_html(missing)
        # the shape of the KB mart: the candidates of the day it was last refreshed
        con.execute(
            "create table marts.fct_kb_candidates as select * from (values "
            "(date '2026-03-29', 'kb-refund-1', 'new', 'Refund for a duplicate charge', "
            "['refund', 'charge'], 12, 'rising'), "
            "(date '2026-03-29', 'kb-login-2', 'accepted', 'Password reset | loops', "
            "['password'], 7, null), "
            "(date '2026-03-29', 'kb-noise-3', 'dismissed', 'Dismissed one', [], 30, null), "
            "(date '2026-03-31', 'kb-later-4', 'new', 'Found after the week', [], 9, null)) "
            "as t(report_date, candidate_id, status, title, keywords, tickets, trend)"
        )
        pack = review.build_review(con, WEEK, settings)
        later = review.build_review(con, "2026-W14", settings)["kb_candidates"]
    finally:
        con.execute("rollback")
    kb = pack["kb_candidates"]
    assert kb["available"]
    assert kb["as_of"] == "2026-03-29"
    assert kb["note"] == ""
    assert [(c["candidate_id"], c["tickets"], c["draft"]) for c in kb["rows"]] == [
        ("kb-refund-1", 12, "kb/kb-refund-1.md"),
        ("kb-login-2", 7, "kb/kb-login-2.md"),
    ]
    html = review.render_html(pack)
    assert '<a href="kb/kb-refund-1.md">kb-refund-1</a>' in html
    assert "refund, charge" in html
    assert "Dismissed one" not in html
    md = review.render_markdown(pack, {})
    assert "| Password reset \\| loops | 7 |  | accepted | [kb-login-2](kb/kb-login-2.md) |" in md
    assert [c["candidate_id"] for c in later["rows"]] == ["kb-later-4"]


def test_exports_without_marts_are_a_clear_error(built):
    con = built["con"]
    con.execute("begin transaction")
    try:
        con.execute("drop table marts.fct_daily_flow")
        with pytest.raises(BacklogError, match="no marts"):
            review.build_review(con, WEEK, built["settings"])
    finally:
        con.execute("rollback")


def test_charts_are_deterministic_pngs(built):
    con = built["con"]
    first = series.flow_chart_png(con, SUNDAY, days=28)
    assert first.startswith(PNG)
    assert first == series.flow_chart_png(con, SUNDAY, days=28)
    assert series.flow_chart_png(con, date(2020, 1, 5)).startswith(PNG)  # no data: still a PNG


# --- the HTML is one self-contained page ---------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data") and value is not None:
                self.refs.append((tag, name, value))
                if tag == "img" and name == "src":
                    self.images.append(value)


def test_the_html_is_self_contained(built):
    html = built["paths"][0].read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(html)
    assert len(parser.images) == len(CHARTS)
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    ticket_prefix = TICKET_URL.split("{", 1)[0]
    for tag, name, value in parser.refs:
        if tag == "img":
            continue
        assert (tag, name) == ("a", "href"), value
        assert value.startswith(("#", "kb/", ticket_prefix)), value
    text_without_ticket_links = html.replace(ticket_prefix, "")
    assert not re.search(r"https?://", text_without_ticket_links)
    assert "<script" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert any(value.startswith(ticket_prefix) for _, _, value in parser.refs)


def test_the_markdown_has_its_charts_beside_it(built):
    html, md, *pngs = built["paths"]
    assert html.name == "review-2026-W13.html"
    assert md.name == "review-2026-W13.md"
    assert sorted(p.name for p in pngs) == [f"{name}.png" for name in CHARTS]
    text = md.read_text(encoding="utf-8")
    for png in pngs:
        assert png.parent.name == "review-2026-W13"
        assert png.read_bytes().startswith(PNG)
        assert f"](review-2026-W13/{png.name})" in text
    assert "## Data quality: warn" in text


# --- the flow --------------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_writes_the_pack_from_the_warehouse(built, tmp_path):
    from flows.weekly_review import weekly_review

    con = built["con"]
    con.execute("checkpoint")
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(built["settings"].db_path, db)
    before = _one(con, "select count(*) from marts.fct_daily_flow")
    state = weekly_review(week=WEEK, db=db, out=tmp_path / "out", return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result["week"] == WEEK
    assert "charts" not in result
    assert result["kpis"] == json.loads(json.dumps(built["pack"]["kpis"]))
    assert [Path(p).name for p in result["files"][:2]] == [
        "review-2026-W13.html",
        "review-2026-W13.md",
    ]
    assert (tmp_path / "out" / "review-2026-W13" / "flow.png").is_file()
    assert _one(con, "select count(*) from marts.fct_daily_flow") == before

    failed = weekly_review(week="2026-13", db=db, out=tmp_path / "out", return_state=True)
    assert failed.is_failed()
    with pytest.raises(BacklogError, match="is not an ISO week"):
        failed.result()


# --- a real browser --------------------------------------------------------------------------


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); CI installs it",
)
def test_a_headless_browser_shows_every_image_and_no_console_error(built, tmp_path):
    report = browser_check(built["paths"][0], tmp_path / "review.png")
    assert report["errors"] == []
    assert len(report["images"]) == len(CHARTS)
    assert all(image["width"] > 0 and image["complete"] for image in report["images"])
    assert (tmp_path / "review.png").read_bytes().startswith(PNG)


def browser_check(html: Path, screenshot: Path, width: int = 1200) -> dict[str, Any]:
    """Open `html` in headless Chromium over the DevTools protocol.

    Returns every console error, uncaught exception and browser log error, the natural size of
    every image, and writes a full-page screenshot.
    """
    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                f"--window-size={width},900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = _devtools_port(Path(profile) / "DevToolsActivePort", process)
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            page = next(t for t in targets if t["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None, proxy=None) as ws:
                return _inspect(_Cdp(ws), html, screenshot, width)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _inspect(session: _Cdp, html: Path, screenshot: Path, width: int) -> dict[str, Any]:
    for domain in ("Page", "Runtime", "Log"):
        session.call(f"{domain}.enable")
    session.call("Page.navigate", url=html.resolve().as_uri())
    session.wait_for("Page.loadEventFired")
    images = session.call(
        "Runtime.evaluate",
        expression="JSON.stringify([...document.images].map(i => ({"
        "width: i.naturalWidth, height: i.naturalHeight, complete: i.complete})))",
        returnByValue=True,
    )["result"]["value"]
    size = session.call("Page.getLayoutMetrics")["cssContentSize"]
    session.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=math.ceil(size["height"]),
        deviceScaleFactor=1,
        mobile=False,
    )
    shot = session.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    session.drain(0.3)
    return {"errors": session.errors, "images": json.loads(images)}


def _devtools_port(path: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return int(path.read_text().splitlines()[0])
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port within 30 s")


class _Cdp:
    """A minimal DevTools protocol session: calls, events, and the errors seen in passing."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive(30)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events):
            self._receive(max(0.1, deadline - time.monotonic()))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._receive(deadline - time.monotonic())
            except TimeoutError:
                return

    def _receive(self, timeout: float) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout))
        if "method" in message:
            self.events.append(message)
            self._note(message["method"], message.get("params", {}))
        return message

    def _note(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            self.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(f"log: {params['entry'].get('text')}")


# --- one driver definition, read by all (issue 15) -----------------------------------------


AREAS = ("billing", "checkout", "identity")


@pytest.fixture(scope="module")
def by_area(tmp_path_factory) -> dict[str, Any]:
    """A warehouse whose driver is a custom field, `product_area`, not the tags."""
    root = tmp_path_factory.mktemp("areas")
    exports = root / "exports"
    start = date(2026, 3, 2)
    generate_exports(exports, SyntheticConfig(start=start, days=14, seed=5, tickets_per_day=20))
    for tickets_csv in sorted(exports.glob("*/tickets.csv")):
        with tickets_csv.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row["product_area"] = _area(row["ticket_id"]).upper()  # staged lower-case
        with tickets_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    settings = load_settings(
        db_path=root / "backlog.duckdb",
        out_dir=root / "out",
        drivers={"dimension": "field:product_area"},
        work={"batch_min_size": 2},
    )
    con = warehouse.connect(settings)
    load_exports(con, exports)
    models.build_models(con, ext=settings.extensions)
    last = start + timedelta(days=13)
    pack = review.build_review(con, week_name := review.week_name(last), settings)
    yield {"con": con, "pack": pack, "day": last, "week": week_name}
    con.close()


def _area(ticket_id: str) -> str:
    return AREAS[sum(map(ord, ticket_id)) % len(AREAS)]


def test_a_field_driver_is_the_driver_of_every_list(by_area):
    con, pack, day = by_area["con"], by_area["pack"], by_area["day"]
    drivers = {
        name: {
            row[0]
            for row in con.execute(
                f"select distinct driver from marts.{name} where driver is not null"
            ).fetchall()
        }
        for name in (
            "fct_drivers_daily",
            "fct_backlog_batches",
            "fct_work_next",
            "fct_automation_candidates",
        )
    }
    for name, found in drivers.items():
        assert found, name
        assert found <= set(AREAS), name
    reasons = con.execute(
        "select distinct reasons from marts.fct_work_next where driver is not null"
    ).fetchall()
    # the driver reason names the area (its size is fct_work_next.driver_tickets_7d)
    assert any(f"driver {area}" in row[0] for row in reasons for area in AREAS)
    assert {row["driver"] for row in pack["automation"]} <= set(AREAS)
    # merge candidates "on the same driver": the same product area, not a shared tag
    shared = {
        row[0]
        for row in con.execute(
            "select distinct unnest(shared_drivers) from marts.fct_merge_candidates"
        ).fetchall()
    }
    assert shared
    assert shared <= set(AREAS)
    # the review's hot spots and examples: product areas, each ticket in its own area
    spots = pack["reopen_hotspots"]["rows"]
    assert spots
    assert {row["driver"] for row in spots} <= set(AREAS)
    solved = con.execute(
        "select ticket_id from marts.fct_ticket_metrics where first_solved_date between ? and ?",
        [date.fromisoformat(pack["coverage"]["first_day"]), day],
    ).fetchall()
    expected: dict[str, int] = {}
    for (ticket_id,) in solved:
        expected[_area(ticket_id)] = expected.get(_area(ticket_id), 0) + 1
    assert {row["driver"]: row["solved"] for row in spots} == expected
    assert "by driver (its product_area)" in pack["reopen_hotspots"]["note"]
    assert "two tags" not in pack["arithmetic"]["assumption"]
    assert pack["drivers"]
    for row in pack["drivers"]:
        assert row["driver"] in AREAS
        assert row["example_ticket_ids"]
        assert all(_area(t) == row["driver"] for t in row["example_ticket_ids"])


# --- one data-quality status, read by digest and review (issue 15) -------------------------


def test_a_day_with_a_fatal_file_fails_in_the_review_as_in_the_digest(built):
    con, fatal = built["con"], date(2026, 2, 16)  # the Monday before the first export
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into ops.load_failures values (?, 'tickets', 'tickets.csv', null, null, "
            "'2026-02-16/tickets.csv is not a CSV file.', now())",
            [fatal],
        )
        digest_status = quality.data_quality_for_day(con, fatal)["status"]
        pack = review.build_review(con, "2026-W08", built["settings"])
    finally:
        con.execute("rollback")
    assert digest_status == "fail"
    assert pack["data_quality"]["status"] == "fail"
    monday = pack["data_quality"]["days"][0]
    assert monday["date"] == fatal.isoformat()
    assert monday["status"] == digest_status
    assert monday["note"] == "the export failed to load"
    assert pack["loaded_period"][0] == fatal.isoformat()


def test_the_emerging_note_states_the_thresholds_the_mart_applies():
    sql = (warehouse.SQL_DIR / "marts" / "fct_emerging_drivers.sql").read_text(encoding="utf-8")
    assert f"tickets_7d >= {review_drivers.EMERGING_MIN_NEW} then 'new'" in sql
    assert f"tickets_7d >= {review_drivers.EMERGING_MIN_TICKETS} and" in sql
    assert f"growth >= {review_drivers.EMERGING_MIN_GROWTH:g} then 'growing'" in sql
