"""The weekly review pack as one self-contained HTML page, and the pack's files on disk."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2

from tasks.render import format as fmt
from tasks.render.review_markdown import render_markdown

TEMPLATES = Path(__file__).resolve().parent / "templates"


def write_review(review: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write `review-<YYYY>-W<ww>.html` (self-contained) and `.md` with PNGs beside it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"review-{review['week']}"
    chart_dir = out_dir / stem
    written = []
    chart_files = {}
    if review["charts"]:
        chart_dir.mkdir(exist_ok=True)
        for name, chart in review["charts"].items():
            path = chart_dir / f"{name}.png"
            path.write_bytes(chart["png"])
            chart_files[name] = f"{stem}/{name}.png"
            written.append(path)
    html = out_dir / f"{stem}.html"
    html.write_text(render_html(review), encoding="utf-8")
    md = out_dir / f"{stem}.md"
    md.write_text(render_markdown(review, chart_files), encoding="utf-8")
    return [html, md, *written]


def render_html(review: dict[str, Any]) -> str:
    """The pack as one HTML page: CSS inline, charts as data URIs, no external resource."""
    images = {
        name: "data:image/png;base64," + base64.b64encode(chart["png"]).decode("ascii")
        for name, chart in review["charts"].items()
    }
    return _environment().get_template("review.html.j2").render(r=review, images=images)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=fmt.pct,
        n=fmt.count,
        signed=fmt.signed,
        growth=fmt.growth,
        long=fmt.day_label,
        fixed=lambda value, digits=1: "" if value is None else fmt.number(value, digits),
    )
    env.globals["ticket_url"] = lambda ticket_id, r: fmt.ticket_url(
        r.get("ticket_url_template"), ticket_id
    )
    return env
