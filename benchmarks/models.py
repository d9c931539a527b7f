"""Time the SQL model build model by model: wall s, CPU s and peak RSS per model.

A script, not a test: timings live here, never in the test suite.

    .venv/bin/python benchmarks/models.py WAREHOUSE.duckdb --full
    .venv/bin/python benchmarks/models.py WAREHOUSE.duckdb --exports DIR --date 2026-03-02

The first rebuilds every model (`backlog run --full-refresh`'s build); the second loads
day DATE from DIR and then builds incrementally (the morning's build). Work on a copy:
the warehouse is written. CPU s is the whole process's (every DuckDB thread); peak MB is
the process's peak RSS during that model (the kernel's high-water mark, reset before
each model; read it as a rough guide: it counted more than the process's peak RSS that
`/usr/bin/time -v` reported in the runs of 2026-12-06, so quote that one). Prints a
Markdown table, slowest first, and writes it as JSON with `--json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--full", action="store_true", help="rebuild every model")
    parser.add_argument("--exports", type=Path, help="load day --date from here first")
    parser.add_argument("--date", type=date.fromisoformat)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))

    from tasks import ingest, models, warehouse
    from tasks.config import load_settings
    from tasks.models import runner

    settings = load_settings(None, db_path=args.db)
    con = warehouse.connect(settings)
    warehouse.defer_vacuum(con)
    steps: dict[str, dict] = {}
    if args.exports and args.date:
        wall, cpu = time.perf_counter(), time.process_time()
        export = ingest.export_day(args.exports, args.date)
        ingest.load_day(con, export, args.exports, settings.quality)
        steps["ingest.load_day"] = {
            "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu,
        }

    per_model: dict[str, dict] = {}
    original = runner._build_one

    def timed(con, model, plan, specs, sql_dir):
        _reset_peak()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(con, model, plan, specs, sql_dir)
        finally:
            per_model[model.table] = {
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "peak_mb": round(_peak_mb()),
                "check_cpu_s": checks.get(model.table, 0.0),
            }

    runner._build_one = timed
    checks: dict[str, float] = {}
    original_check = runner.check_model

    def timed_check(con, spec, scope):
        cpu = time.process_time()
        try:
            return original_check(con, spec, scope)
        finally:
            checks[spec.table] = round(time.process_time() - cpu, 2)

    runner.check_model = timed_check
    _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    plan = models.build_models(con, lookback_days=settings.models.lookback_days, full=args.full)
    steps["models.build_models"] = {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "plan": f"{'full' if plan.full else 'incremental'}: {plan.reason}",
    }
    con.close()
    in_models = sum(row["cpu_s"] for row in per_model.values())
    build = steps["models.build_models"]
    print(f"{build['plan']}")
    print(
        f"build: {build['wall_s']:.1f} s wall, {build['cpu_s']:.1f} CPU s "
        f"({in_models:.1f} in the models, the rest planning and commits)"
    )
    for name, step in steps.items():
        if name != "models.build_models":
            print(f"{name}: {step['wall_s']:.1f} s wall, {step['cpu_s']:.1f} CPU s")
    print("\n| model | wall s | CPU s | of which the check | peak MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for table, row in sorted(per_model.items(), key=lambda item: -item[1]["cpu_s"]):
        print(
            f"| {table} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['check_cpu_s']:.2f} "
            f"| {row['peak_mb']} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "models": per_model}, indent=1))


if __name__ == "__main__":
    main()
