"""What the business clocks add to the morning run: the same day on the same warehouse,
without and with `[business_hours]` (two schedules, DE holidays, a business SLA).

    .venv/bin/python benchmarks/business_hours.py --per-day 10000 --days 30

Generates (or reuses) synthetic exports under BENCH_ROOT (default /tmp/bench), backfills
days 1..N-1 once per configuration (plain calls, no Prefect), then times day N's morning
work (ingest, model build, digest) on fresh copies, alternating the two configurations,
`--repeats` times each. Prints a Markdown row and writes JSON beside `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ROOT = Path(os.environ.get("BENCH_ROOT", "/tmp/bench"))
START = date(2026, 1, 1)


def settings_for(kind: str, db: Path, out: Path) -> Any:
    """Settings of one configuration: calendar clocks, or business hours + a business SLA."""
    from tasks.config import load_settings
    from tasks.demo.hours import business_hours

    # the synthetic team's hours, as the business-hours tests use them; its Billing and
    # Technical groups are served from New York
    hours = business_hours(americas_groups=["Billing", "Technical"])
    extra = {"business_hours": hours, "sla": {"high": {"clock": "business"}}}
    return load_settings(db_path=db, out_dir=out, **(extra if kind == "business" else {}))


def exports(per_day: int, days: int) -> Path:
    """Generated Parquet exports with at least `days` days (generated when missing)."""
    folder = ROOT / f"hours-{per_day}-{days}d"
    if not (folder / "GENERATED").exists():
        from tasks.demo.synthetic import SyntheticConfig, generate_exports

        (folder / "exports").mkdir(parents=True, exist_ok=True)
        generate_exports(
            folder / "exports",
            SyntheticConfig(start=START, days=days, tickets_per_day=per_day, fmt="parquet"),
        )
        (folder / "GENERATED").write_text("ok")
    return folder / "exports"


def backfill(root: Path, days: int, work: Path) -> dict[str, Path]:
    """Days 1..N-1 loaded and built once (calendar), then a copy rebuilt with business hours
    (the config change makes that build full); the two warehouse files."""
    from tasks import ingest, models, warehouse

    bases = {kind: work / f"base-{kind}.duckdb" for kind in ("calendar", "business")}
    if not bases["calendar"].exists():
        con = warehouse.connect(settings_for("calendar", bases["calendar"], work / "out"))
        for day in ingest.discover_exports(root):
            if day.export_date < START + timedelta(days=days - 1):
                ingest.load_day(con, day, root)
        models.build_models(con)
        con.close()
    if not bases["business"].exists():
        shutil.copyfile(bases["calendar"], bases["business"])
        con = warehouse.connect(settings_for("business", bases["business"], work / "out"))
        models.build_models(con)
        con.close()
    return bases


def morning(kind: str, base: Path, root: Path, days: int, work: Path) -> dict[str, float]:
    """Day N on a fresh copy: ingest, build, digest; seconds of each."""
    from tasks import ingest, models, warehouse
    from tasks.reports import digest

    db = work / f"run-{kind}.duckdb"
    shutil.copyfile(base, db)
    settings = settings_for(kind, db, work / "out")
    day = START + timedelta(days=days - 1)
    con = warehouse.connect(settings)
    found = next(d for d in ingest.discover_exports(root) if d.export_date == day)
    c0, t0 = time.process_time(), time.perf_counter()
    ingest.load_day(con, found, root)
    t1 = time.perf_counter()
    plan = models.build_models(con, lookback_days=settings.models.lookback_days)
    c2, t2 = time.process_time(), time.perf_counter()
    digest.build_digest(con, day, settings)
    c3, t3 = time.process_time(), time.perf_counter()
    con.close()
    assert not plan.full, plan.reason
    return {
        "ingest": t1 - t0,
        "build": t2 - t1,
        "digest": t3 - t2,
        "total": t3 - t0,
        # CPU seconds of the process (every DuckDB thread): steadier than wall on a busy machine
        "cpu_ingest_build": c2 - c0,
        "cpu_total": c3 - c0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "business_hours.json")
    args = parser.parse_args()
    root = exports(args.per_day, args.days)
    work = ROOT / f"hours-work-{args.per_day}-{args.days}d"
    work.mkdir(parents=True, exist_ok=True)
    bases = backfill(root, args.days, work)
    runs: dict[str, list[dict[str, float]]] = {"calendar": [], "business": []}
    for _ in range(args.repeats):
        for kind in ("calendar", "business"):
            runs[kind].append(morning(kind, bases[kind], root, args.days, work))
    median = {
        kind: {step: statistics.median(r[step] for r in rows) for step in rows[0]}
        for kind, rows in runs.items()
    }
    added = median["business"]["total"] - median["calendar"]["total"]
    added_cpu = median["business"]["cpu_total"] - median["calendar"]["cpu_total"]
    result = {
        "per_day": args.per_day,
        "days": args.days,
        "repeats": args.repeats,
        "median": median,
        "added_seconds": added,
        "added_share": added / median["calendar"]["total"],
        "added_cpu_seconds": added_cpu,
        "added_cpu_share": added_cpu / median["calendar"]["cpu_total"],
        "load_average": os.getloadavg(),
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    cal, bus = median["calendar"], median["business"]
    print(
        f"| {args.per_day:,}/day, {args.days} days | {cal['build']:.2f} s | {bus['build']:.2f} s "
        f"| {cal['total']:.2f} s | {bus['total']:.2f} s | {added:+.2f} s "
        f"({100 * added / cal['total']:+.1f}%) "
        f"| {cal['cpu_total']:.2f} s | {bus['cpu_total']:.2f} s | {added_cpu:+.2f} s "
        f"({100 * added_cpu / cal['cpu_total']:+.1f}%) |"
    )


if __name__ == "__main__":
    main()
