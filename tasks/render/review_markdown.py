"""The weekly review pack as Markdown, its charts as PNG files beside it."""

from __future__ import annotations

from typing import Any

from tasks.render import format as fmt


def render_markdown(review: dict[str, Any], chart_files: dict[str, str]) -> str:
    """The pack as Markdown, its charts as PNG files next to it."""
    r = review
    lines = [
        f"# Support & product review, {r['week']}",
        "",
        f"{fmt.day_label(r['start'])} to {fmt.day_label(r['end'])} ({r['timezone']})",
        "",
    ]
    if r["coverage"]["note"]:
        lines += [f"> {r['coverage']['note']}", ""]
    lines += [f"- {line}" for line in r["headline"]] + [""]
    lines += [
        "## Key figures",
        "",
        f"| figure | {r['week']} | {r['previous_week']} | change | 4-week average |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kpi in r["kpis"]:
        count = f" (n={fmt.count(kpi['count'])})" if kpi["count"] is not None else ""
        few = " (few tickets)" if kpi.get("small_base") else ""
        value = (
            f"<sub>{kpi['text']}</sub>" if kpi["key"] == "recontact_rate" else f"**{kpi['text']}**"
        )
        lines.append(
            f"| {kpi['label']} | {value}{count} | {kpi['previous_text']} | "
            f"{kpi['change_text']}{few} | {kpi['avg_4w_text']} |"
        )
    lines += ["", "What each figure covers:", ""]
    lines += [f"- **{kpi['label']}**: {kpi['covers']}" for kpi in r["kpis"]]
    lines += [
        f"- The 4-week average is the mean of the weekly figures of "
        f"{', '.join(r['baseline_weeks'])} (weeks without data are left out).",
        "",
    ]
    lines += _md_arithmetic(r["arithmetic"])
    for name in ("flow", "aging"):
        if name in chart_files:
            lines += [f"## {r['charts'][name]['title']}", "", _md_image(r, name, chart_files), ""]
    if r["aging"] and r["aging"]["oldest_ticket_id"]:
        lines += [
            f"Oldest open ticket: {_md_ticket(r, r['aging']['oldest_ticket_id'])}, "
            f"{r['aging']['oldest_age_days']:.1f} days.",
            "",
        ]
    if "heatmap" in chart_files:
        heat = r["heatmap"]
        lines += [
            f"## {r['charts']['heatmap']['title']}",
            "",
            f"Tickets created per weekday and hour, {heat['start']} to {heat['end']} "
            f"({fmt.count_tickets(heat['tickets'])}, {r['timezone']} time). "
            f"{heat['note']}".rstrip(),
            "",
            _md_image(r, "heatmap", chart_files),
            "",
        ]

    lines += ["## Top drivers", ""]
    if "drivers" in chart_files:
        lines += [_md_image(r, "drivers", chart_files), ""]
    lines += [
        "| # | driver | tickets | last week | change | baseline/week | growth | share | examples |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for d in r["drivers"]:
        lines.append(
            f"| {d['rank']} | {cell(d['driver'])}{' (spike)' if d['spike'] else ''} | "
            f"{fmt.count(d['tickets'])} | "
            f"{fmt.count(d['previous'])} | {fmt.signed(d['change'])} | "
            + (
                f"{fmt.number(d['baseline_weekly'])} | {fmt.growth(d['growth'])} | "
                if d.get("baseline_complete", True)
                else f"{fmt.NA} | {fmt.NA} | "
            )
            + f"{fmt.pct(d['share'])} | "
            f"{', '.join(_md_ticket(r, t) for t in d['example_ticket_ids'])} |"
        )
    lines += ["", "## Emerging drivers", "", r["emerging"]["note"], ""]
    if r["emerging"]["rows"]:
        lines += [
            "| driver | tickets | baseline/week | why | examples |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for d in r["emerging"]["rows"]:
            lines.append(
                f"| {cell(d['driver'])} | {fmt.count(d['tickets'])} | "
                f"{fmt.number(d['baseline_weekly'])} | "
                f"{d['reason']} | {', '.join(_md_ticket(r, t) for t in d['example_ticket_ids'])} |"
            )
    elif r["emerging"]["assessed"]:
        lines.append("No driver is new or growing fast this week.")
    lines += ["", "## Reopen hot spots", "", r["reopen_hotspots"]["note"], ""]
    if "reopens" in chart_files:
        lines += [_md_image(r, "reopens", chart_files), ""]
    if r["reopen_hotspots"]["rows"]:
        lines += [
            "| driver | first solved | reopened within 7 days | share |",
            "| --- | ---: | ---: | ---: |",
        ]
        for s in r["reopen_hotspots"]["rows"]:
            flag = " (few tickets)" if s["small_sample"] else ""
            lines.append(
                f"| {cell(s['driver'])}{flag} | {fmt.count(s['solved'])} | "
                f"{fmt.count(s['reopened'])} | "
                f"{fmt.pct(s['share'])} |"
            )
    if "effort" in chart_files:
        effort = r["effort"]
        lines += [
            "",
            f"## {r['charts']['effort']['title']}",
            "",
            f"{fmt.count_tickets(effort['tickets'])} last solved this week: "
            f"{fmt.count(effort['over_3_exchanges'])} over 3 exchanges, "
            f"{fmt.count(effort['over_2_handoffs'])} over 2 handoffs.",
            "",
            _md_image(r, "effort", chart_files),
        ]
    if "automation" in chart_files:
        lines += [
            "",
            f"## {r['charts']['automation']['title']}",
            "",
            "Lookup and process tickets among those solved in the 28 days to the week's end.",
            "",
            _md_image(r, "automation", chart_files),
        ]
    lines += ["", "## Knowledge-base candidates", ""]
    kb = r["kb_candidates"]
    if kb["rows"]:
        if kb["note"]:
            lines += [kb["note"], ""]
        lines += [
            "| candidate | tickets | trend | status | draft |",
            "| --- | ---: | --- | --- | --- |",
        ]
        for c in kb["rows"]:
            lines.append(
                f"| {cell(c['title'])} | {fmt.count(c['tickets'])} | {c['trend'] or ''} | "
                f"{c['status'] or ''} | [{c['candidate_id']}]({c['draft']}) |"
            )
    else:
        lines.append(kb["note"])
    lines += ["", *_md_data_quality(r)]
    return "\n".join(lines).rstrip() + "\n"


def _md_arithmetic(a: dict[str, Any] | None) -> list[str]:
    if a is None:
        return []
    lines = ["## What the arithmetic says", ""]
    lines += [*a["sentences"], ""]
    if not a["available"]:
        return lines
    gap = (
        f"**{fmt.number(a['gap_per_day'])}** tickets / day"
        if a["has_gap"]
        else f"no gap ({fmt.number(-a['gap_per_day'])} / day to spare)"
    )
    lines += [
        "| | tickets / day |",
        "| --- | ---: |",
        f"| Outflow needed (target within {a['drain_within_days']} days) | "
        f"{fmt.number(a['needed_per_day'])} |",
        f"| Outflow, mean of {a['actual_window']} | {fmt.number(a['actual_per_day'])} |",
        f"| Gap (needed - actual) | {gap} |",
        "",
    ]
    if a["drivers"]:
        lines += [
            "| driver | tickets, 7 days | tickets / day | share of the gap closed |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {cell(d['driver'])} | {fmt.count(d['tickets_7d'])} | {fmt.number(d['per_day'])} | "
            f"{fmt.pct(d['closes']) if d['closes'] is not None else 'no gap'} |"
            for d in a["drivers"]
        ]
        lines.append("")
    return [*lines, f"_{a['assumption']}_", ""]


def _md_data_quality(r: dict[str, Any]) -> list[str]:
    dq = r["data_quality"]
    lines = [
        f"## Data quality: {dq['status'].replace('_', ' ')}",
        "",
        "| day | files | rows read | loaded | quarantined | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for d in dq["days"]:
        lines.append(
            f"| {d['weekday']} {d['date']} | {fmt.count(d['files'])} | "
            f"{fmt.count(d['rows_read'])} | {fmt.count(d['rows_loaded'])} | "
            f"{fmt.count(d['rows_quarantined'])} | {d['note']} |"
        )
    lines.append("")
    if dq["failures"]:
        lines += ["Failed checks:", ""]
        lines += [
            f"- {f['date']} {f['entity']}.{f['column'] or '*'}: {f['expectation']} "
            f"({fmt.count(f['unexpected_count'])} rows, {f['severity']})"
            for f in dq["failures"]
        ]
        lines.append("")
    elif dq["checks_run"]:
        lines += [f"All {fmt.count(dq['checks_run'])} checks passed.", ""]
    if dq["quarantine_reasons"]:
        lines += ["Rows set aside:", ""]
        lines += [
            f"- {fmt.count(q['rows'])} {q['entity']} rows: {q['reason']}"
            for q in dq["quarantine_reasons"]
        ]
        lines.append("")
    return lines


def _md_image(r: dict[str, Any], name: str, chart_files: dict[str, str]) -> str:
    return f"![{r['charts'][name]['alt']}]({chart_files[name]})"


def _md_ticket(r: dict[str, Any], ticket_id: str) -> str:
    url = fmt.ticket_url(r.get("ticket_url_template"), ticket_id)
    return f"[#{ticket_id}]({url})" if url else f"#{ticket_id}"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")
