"""Charts of the weekly review pack and the Slack digest, as PNG bytes.

Each chart takes values, read from the marts by `tasks/reports/series.py` (also used
by the review's tables, so a chart and its table show the same numbers), and draws
with matplotlib's object API on the Agg canvas: no display, no pyplot state.
Colours are the Okabe-Ito palette (safe for colour-blind readers); sizes, fonts
and margins are shared so the charts sit together as a set. The same input
gives the same bytes (no software or date metadata in the PNG).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tasks.render import format as fmt

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn: a second of start-up
    from contextlib import AbstractContextManager

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
SERIES = ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black", "yellow")
INK = "#222222"
MUTED = "#666666"
GRID = "#DDDDDD"
WIDTH = 10.0  # inches, every chart
DPI = 110
HOTSPOT_MIN_SOLVED = 5
# a hot spot is flagged (in colour) only from this many reopens: one reopen of five is noise
HOTSPOT_MIN_REOPENED = 3
EXCHANGES_OVER = 3  # docs/metrics.md: the share of tickets over 3 exchanges or 2 handoffs
HANDOFFS_OVER = 2
EFFORT_CAP = 8  # the effort chart's last bar holds this many and more
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
AGE_BUCKETS = ("0-1d", "1-3d", "3-7d", "7-14d", "14-30d", "30d+")
AGE_COLUMNS = ("aged_0_1d", "aged_1_3d", "aged_3_7d", "aged_7_14d", "aged_14_30d", "aged_30d_plus")
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 12,
    "axes.labelsize": 10,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "svg.hashsalt": "support-backlog",
    "path.simplify": False,
}


@dataclass(frozen=True)
class FlowDay:
    """One day of the flow chart, straight from `marts.fct_daily_flow`."""

    report_date: date
    inflow: int
    outflow: int
    reopened: int
    backlog: int
    inflow_7d_avg: float
    outflow_7d_avg: float
    reopened_7d_avg: float
    is_inflow_above_outflow: bool


@dataclass(frozen=True)
class Hotspot:
    """Reopens among the tickets of one driver first solved in a period."""

    driver: str
    solved: int
    reopened: int

    @property
    def share(self) -> float:
        return self.reopened / self.solved if self.solved else 0.0


@dataclass(frozen=True)
class AutomationCandidate:
    """Tickets of one driver solved in the 28 days to a day, and how many are lookup/process."""

    driver: str
    solved: int
    automatable: int

    @property
    def share(self) -> float:
        return self.automatable / self.solved if self.solved else 0.0


# --- charts ---------------------------------------------------------------------------------


def flow_chart_png(
    series: Sequence[FlowDay],
    end_day: date,
    days: int = 56,
    highlight: tuple[date, date] | None = None,
) -> bytes:
    """Inflow vs outflow (daily and 7-day average) above the backlog, for `days` days.

    Args:
        series: The daily flow rows of the `days` days ending on `end_day` that exist.
        end_day: Last day shown.
        days: How many days, ending on `end_day` (28 for the Slack digest, 56 for the pack).
        highlight: A period to shade, e.g. the review's week.
    """
    start = end_day - timedelta(days=days - 1)
    with _style(STYLE):
        fig = _figure(5.6)
        top, bottom = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [1.7, 1], "hspace": 0.12}
        )
        top.set_title(f"Inflow vs outflow and backlog, {_d(start)} to {_d(end_day)}", pad=30)
        if not series:
            _no_data(top, "No loaded data in this period")
            _no_data(bottom, "")
            bottom.set_xlim(-0.5, days - 0.5)
            _day_axis(bottom, start, days)
            return _png(fig)
        x = [(row.report_date - start).days for row in series]
        blue, red = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
        for index, row in enumerate(series):
            if row.is_inflow_above_outflow:
                top.axvspan(x[index] - 0.5, x[index] + 0.5, color=red, alpha=0.10, lw=0)
        if highlight is not None:
            left, right = (highlight[0] - start).days - 0.5, (highlight[1] - start).days + 0.5
            for ax in (top, bottom):
                ax.axvspan(left, right, facecolor="none", edgecolor=MUTED, lw=1.2, ls=(0, (4, 3)))
            bottom.text(
                (left + right) / 2,
                0.04,
                "review week",
                transform=bottom.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=MUTED,
            )
        top.plot(x, [r.inflow for r in series], color=red, lw=1, alpha=0.45, marker="o", ms=2.5)
        top.plot(x, [r.outflow for r in series], color=blue, lw=1, alpha=0.45, marker="o", ms=2.5)
        top.plot(
            x,
            [r.inflow_7d_avg + r.reopened_7d_avg for r in series],
            color=red,
            lw=2.6,
            label="Inflow + reopened, 7-day average",
        )
        top.plot(
            x,
            [r.outflow_7d_avg for r in series],
            color=blue,
            lw=2.6,
            label="Outflow, 7-day average",
        )
        top.plot([], [], color=MUTED, lw=1, alpha=0.6, marker="o", ms=2.5, label="Daily values")
        top.fill_between([], [], color=red, alpha=0.15, lw=0, label="Inflow above outflow")
        top.set_ylabel("tickets per day")
        top.set_ylim(bottom=0)
        top.legend(loc="lower left", ncols=4, bbox_to_anchor=(0, 1.0), borderaxespad=0.2)
        top.margins(y=0.08)
        backlog = [row.backlog for row in series]
        bottom.fill_between(x, backlog, color=OKABE_ITO["sky_blue"], alpha=0.35, lw=0, step="mid")
        bottom.step(x, backlog, where="mid", color=INK, lw=1.6)
        bottom.set_ylabel("open tickets\n(end of day)")
        bottom.set_ylim(0, max(backlog) * 1.25 + 1)
        last = series[-1]
        bottom.annotate(
            f"{fmt.count(last.backlog)} open",
            (x[-1], last.backlog),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            color=INK,
            ha="right",
        )
        bottom.set_xlim(-0.5, days - 0.5)
        _day_axis(bottom, start, days)
        return _png(fig)


def aging_chart_png(
    counts: dict[str, int] | None,
    day: date,
    before: dict[str, int] | None = None,
    compare_day: date | None = None,
) -> bytes:
    """Backlog tickets by age at the end of `day`, beside `compare_day` (e.g. a week earlier).

    `counts` and `before` are the tickets per age bucket (`AGE_BUCKETS`) on those days.
    """
    before = before if compare_day else None
    with _style(STYLE):
        fig = _figure(3.8)
        ax = fig.subplots()
        ax.set_title(f"Backlog by age at the end of {_d(day)}")
        if counts is None:
            _no_data(ax, "No loaded data on this day")
            return _png(fig)
        x = list(range(len(AGE_BUCKETS)))
        width = 0.38 if before else 0.6
        if before:
            bars = ax.bar(
                [i - width / 2 for i in x],
                [before[b] for b in AGE_BUCKETS],
                width,
                color=OKABE_ITO["sky_blue"],
                alpha=0.55,
                label=f"End of {_d(compare_day)}",
            )
            ax.bar_label(bars, padding=2, fontsize=8, color=MUTED)
        bars = ax.bar(
            [i + (width / 2 if before else 0) for i in x],
            [counts[b] for b in AGE_BUCKETS],
            width,
            color=OKABE_ITO["blue"],
            label=f"End of {_d(day)}",
        )
        ax.bar_label(bars, padding=2, fontsize=9, fontweight="bold", color=INK)
        ax.set_xticks(x, [label.replace("d", " d") for label in AGE_BUCKETS])
        ax.set_xlabel("age of the open ticket (days since it was created)")
        ax.set_ylabel("open tickets")
        ax.margins(y=0.2)
        ax.legend(loc="upper right")
        return _png(fig)


def drivers_trend_png(
    counts: dict[str, list[int | None]],
    week_ends: Sequence[date],
    drivers: Sequence[str],
) -> bytes:
    """Tickets per week for each driver over the weeks ending on `week_ends` (oldest first).

    `counts` holds per driver one value per week end, None where the marts hold no day.
    """
    weeks = len(week_ends)
    with _style(STYLE):
        fig = _figure(4.4)
        ax = fig.subplots()
        ax.set_title("Top drivers: tickets created per week")
        x = list(range(weeks))
        ax.set_xticks(x, [_week_label(day) for day in week_ends])
        ax.set_xlim(-0.3, weeks - 1 + 1.6)
        ax.set_xlabel("week (7 days ending on the date shown)")
        ax.set_ylabel("tickets per week")
        if not drivers or all(v is None for values in counts.values() for v in values):
            _no_data(ax, "No driver data in this period")
            return _png(fig)
        ends: list[tuple[float, str, str]] = []
        for index, driver in enumerate(drivers):
            colour = OKABE_ITO[SERIES[index % len(SERIES)]]
            values = [math.nan if v is None else v for v in counts[driver]]
            ax.plot(x, values, color=colour, lw=2.2, marker="o", ms=4.5)
            known = [(i, v) for i, v in enumerate(values) if not math.isnan(v)]
            if known:
                ends.append((known[-1][1], driver, colour))
        ax.set_ylim(bottom=0)
        ax.margins(y=0.12)
        top = ax.get_ylim()[1]
        for y, driver, colour in _spread(ends, gap=top * 0.055):
            ax.text(weeks - 1 + 0.15, y, driver, color=colour, va="center", fontweight="bold")
        return _png(fig)


def reopen_hotspots_png(
    spots: Sequence[Hotspot],
    start: date,
    end: date,
    warning: float = 0.15,
    limit: int = 10,
    min_solved: int = HOTSPOT_MIN_SOLVED,
) -> bytes:
    """Share of tickets first solved in `start..end` reopened within 7 days, per driver.

    Drivers with fewer than `min_solved` such tickets are left out: one reopen of two
    tickets is not a hot spot. The review's table lists them all.
    """
    shown = [spot for spot in spots if spot.solved >= min_solved][:limit]
    with _style(STYLE | {"axes.grid.axis": "x"}):
        fig = _figure(max(2.6, 1.2 + 0.36 * len(shown)))
        ax = fig.subplots()
        ax.set_title(f"Reopen hot spots: first solved {_d(start)} to {_d(end)}")
        if not shown:
            _no_data(ax, f"No driver had {min_solved} or more tickets first solved in this period")
            return _png(fig)
        y = list(range(len(shown)))[::-1]
        colours = [
            OKABE_ITO["vermillion"]
            if s.share > warning and s.reopened >= HOTSPOT_MIN_REOPENED
            else OKABE_ITO["blue"]
            for s in shown
        ]
        ax.barh(y, [s.share * 100 for s in shown], color=colours, height=0.62)
        ax.set_yticks(y, [s.driver for s in shown])
        for yi, spot in zip(y, shown, strict=True):
            ax.text(
                spot.share * 100 + 0.4,
                yi,
                f"{spot.share:.0%}  ({fmt.count(spot.reopened)} of {fmt.count(spot.solved)})",
                va="center",
                fontsize=9,
                color=INK,
            )
        ax.axvline(warning * 100, color=OKABE_ITO["vermillion"], lw=1.2, ls=(0, (4, 3)))
        ax.text(
            warning * 100,
            len(shown) - 0.35,
            f" warning line {fmt.threshold(warning, 'share')}",
            color=OKABE_ITO["vermillion"],
            fontsize=8.5,
            va="bottom",
        )
        ax.set_xlim(0, max(warning * 100, max(s.share * 100 for s in shown)) * 1.35 + 1)
        ax.set_ylim(-0.6, len(shown) - 0.1)
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        ax.xaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10], integer=True))
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel(
            f"reopened within 7 days of the first solve (% of tickets first solved; "
            f"drivers with at least {min_solved})"
        )
        return _png(fig)


def inflow_heatmap_png(cells: Sequence[Sequence[int]], start: date, end: date) -> bytes:
    """Tickets created per weekday (rows Monday..Sunday) and hour of day, `start..end`."""
    with _style(STYLE | {"axes.grid": False}):
        fig = _figure(3.9)
        ax = fig.subplots()
        ax.set_title(f"Tickets created by weekday and hour, {_d(start)} to {_d(end)}")
        top = max((max(row) for row in cells), default=0)
        image = ax.imshow(
            cells, cmap="cividis", aspect="auto", vmin=0, vmax=max(top, 1), interpolation="none"
        )
        ax.set_yticks(range(7), WEEKDAYS)
        ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
        ax.set_xlabel("hour of day the ticket was created (report time zone)")
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        if top == 0:
            _no_data(ax, "No tickets created in this period")
            ax.set_yticks(range(7), WEEKDAYS)
            return _png(fig)
        for row, values in enumerate(cells):
            for hour, value in enumerate(values):
                if value:
                    ax.text(
                        hour,
                        row,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=INK if value > top * 0.55 else "white",
                    )
        bar = fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
        bar.set_label("tickets created")
        bar.outline.set_visible(False)
        return _png(fig)


def effort_distribution_png(counts: dict[str, dict[int, int]], start: date, end: date) -> bytes:
    """Tickets last solved in `start..end` by exchanges and by handoffs, thresholds marked."""
    limits = {"exchanges": EXCHANGES_OVER, "handoffs": HANDOFFS_OVER}
    total = sum(counts.get("exchanges", {}).values())
    with _style(STYLE):
        fig = _figure(3.6)
        axes = fig.subplots(1, 2, sharey=True)
        fig.suptitle(
            f"Effort of the {fmt.count(total)} tickets last solved {_d(start)} to {_d(end)}",
            x=0.01,
            ha="left",
            fontsize=13,
            fontweight="bold",
        )
        for ax, measure in zip(axes, ("exchanges", "handoffs"), strict=True):
            limit = limits[measure]
            ax.set_xlabel(
                f"{measure} per ticket"
                + (" (customer → agent turns)" if measure == "exchanges" else "")
            )
            if not total:
                _no_data(ax, "No tickets solved in this period")
                continue
            values = counts[measure]
            binned = [values.get(k, 0) for k in range(EFFORT_CAP)]
            binned.append(sum(n for k, n in values.items() if k >= EFFORT_CAP))
            x = list(range(EFFORT_CAP + 1))
            colours = [OKABE_ITO["vermillion"] if k > limit else OKABE_ITO["blue"] for k in x]
            bars = ax.bar(x, binned, color=colours, width=0.72)
            ax.bar_label(bars, labels=[str(n) if n else "" for n in binned], padding=2, fontsize=8)
            ax.set_xticks(x, [str(k) for k in range(EFFORT_CAP)] + [f"{EFFORT_CAP}+"])
            ax.axvline(limit + 0.5, color=OKABE_ITO["vermillion"], lw=1.2, ls=(0, (4, 3)))
            over = sum(n for k, n in values.items() if k > limit)
            ax.text(
                limit + 0.6,
                0.97,
                f"over {limit}: {fmt.count(over)} ({over / total:.1%})",
                transform=ax.get_xaxis_transform(),
                color=OKABE_ITO["vermillion"],
                fontsize=9,
                fontweight="bold",
                va="top",
            )
            ax.margins(y=0.18)
        axes[0].set_ylabel("tickets")
        return _png(fig)


def automation_candidates_png(
    candidates: Sequence[AutomationCandidate], start: date, end: date, limit: int = 10
) -> bytes:
    """Per driver: tickets solved in `start..end`, lookup or process (automatable) vs other."""
    shown = [c for c in candidates if c.solved][:limit]
    with _style(STYLE | {"axes.grid.axis": "x"}):
        fig = _figure(max(2.6, 1.5 + 0.36 * len(shown)))
        ax = fig.subplots()
        ax.set_title(f"Automation candidates: tickets solved {_d(start)} to {_d(end)}", pad=26)
        if not shown:
            _no_data(ax, "No solved tickets in this period")
            return _png(fig)
        y = list(range(len(shown)))[::-1]
        auto = [c.automatable for c in shown]
        other = [c.solved - c.automatable for c in shown]
        ax.barh(y, auto, color=OKABE_ITO["green"], height=0.62, label="lookup or process")
        ax.barh(y, other, left=auto, color=GRID, height=0.62, label="other solved tickets")
        ax.set_yticks(y, [c.driver for c in shown])
        for yi, c in zip(y, shown, strict=True):
            ax.text(
                c.solved + 0.4,
                yi,
                f"{c.share:.0%} automatable  ({fmt.count(c.automatable)} of {fmt.count(c.solved)})",
                va="center",
                fontsize=9,
                color=INK,
            )
        ax.set_xlim(0, max(c.solved for c in shown) * 1.4 + 1)
        ax.set_ylim(-0.6, len(shown) - 0.4)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(
            "tickets solved (last solve in the period; a ticket with two tags counts for both)"
        )
        ax.legend(loc="lower left", ncols=2, bbox_to_anchor=(0, 1.0), borderaxespad=0.2)
        return _png(fig)


# --- helpers --------------------------------------------------------------------------------


def _style(style: dict[str, Any]) -> AbstractContextManager[Any]:
    """Matplotlib's settings for one chart (matplotlib imported here, not at start-up)."""
    import matplotlib

    return matplotlib.rc_context(style)


def _figure(height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _no_data(ax: Axes, message: str) -> None:
    ax.set_yticks([])
    ax.grid(False)
    if message:
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color=MUTED)


def _day_axis(ax: Axes, start: date, days: int) -> None:
    """Ticks on Mondays, labelled with the ISO week and the date."""
    mondays = [i for i in range(days) if (start + timedelta(days=i)).weekday() == 0]
    ax.set_xticks(mondays, [_week_label(start + timedelta(days=i)) for i in mondays])
    for axis in ax.figure.axes:
        for i in mondays:
            axis.axvline(i - 0.5, color=GRID, lw=0.8, zorder=0)


def _week_label(day: date) -> str:
    week = day.isocalendar().week
    return f"W{week:02d}\n{day.day} {day:%b}"


def _spread(ends: list[tuple[float, str, str]], gap: float) -> list[tuple[float, str, str]]:
    """End labels moved apart so that none overlap (at least `gap` between neighbours)."""
    placed: list[tuple[float, str, str]] = []
    for y, name, colour in sorted(ends):
        if placed and y - placed[-1][0] < gap:
            y = placed[-1][0] + gap
        placed.append((y, name, colour))
    return placed


def _d(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day:%b %Y}"
