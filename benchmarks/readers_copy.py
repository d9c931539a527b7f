"""Benchmark the readers' copy of the warehouse (issue 16): file copy against COPY FROM DATABASE.

A script, not a test: timings live here, never in the test suite.

    .venv/bin/python benchmarks/readers_copy.py [--days 60] [--per-day 40 2000]

For each scale it generates a team (tasks/demo/synthetic.py, Parquet exports), loads every
day and builds the models without Prefect (under /tmp/readers-copy-bench or
$BENCH_ROOT), then times, 3 times each, with the warehouse open for writing as a run
holds it:

  file copy   `checkpoint`, then a copy of the warehouse file and a rename over the target
              (tasks/warehouse/readers.py, what runs)
  COPY FROM   `attach` a new file, `copy from database` into it, `detach`, rename

and prints the warehouse's size, each method's best time and the copy's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb

from tasks import ingest, models, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.warehouse.readers import publish_copy

ROOT = Path(os.environ.get("BENCH_ROOT", "/tmp/readers-copy-bench"))
START = date(2026, 1, 1)


def build(days: int, per_day: float) -> Path:
    """The warehouse of `days` days at `per_day` tickets a day (built once, then reused)."""
    folder = ROOT / f"{int(per_day)}x{days}"
    db = folder / "backlog.duckdb"
    if db.exists():
        return db
    exports = folder / "exports"
    generate_exports(
        exports, SyntheticConfig(start=START, days=days, tickets_per_day=per_day, fmt="parquet")
    )
    settings = load_settings(db_path=db, out_dir=folder / "out")
    with warehouse.connect(settings) as con:
        for day in ingest.discover_exports(exports):
            ingest.load_day(con, day, exports)
        models.build_models(con)
    return db


def by_file_copy(con: duckdb.DuckDBPyConnection, db: Path, target: Path) -> int:
    """What the runs do: checkpoint, copy the file, rename."""
    return publish_copy(con, db, target).size_bytes


def by_copy_from_database(con: duckdb.DuckDBPyConnection, db: Path, target: Path) -> int:
    """DuckDB's own route: a new database file filled by COPY FROM DATABASE."""
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    (source,) = con.execute("select current_database()").fetchone()
    con.execute("attach ? as readers_copy", [str(temporary)])
    try:
        con.execute(f'copy from database "{source}" to readers_copy')
    finally:
        con.execute("detach readers_copy")
    os.replace(temporary, target)
    return target.stat().st_size


def measure(db: Path) -> dict[str, tuple[float, int]]:
    """Best of 3 seconds and the copy's bytes, per method, on a scratch copy of `db`."""
    scratch = db.with_name("scratch.duckdb")
    shutil.copyfile(db, scratch)
    results = {}
    con = duckdb.connect(str(scratch))
    try:
        for name, method in (("file copy", by_file_copy), ("COPY FROM", by_copy_from_database)):
            target = db.with_name(f"latest-{name.split()[0].lower()}.duckdb")
            times, size = [], 0
            for _ in range(3):
                started = time.perf_counter()
                size = method(con, scratch, target)
                times.append(time.perf_counter() - started)
            results[name] = (min(times), size)
    finally:
        con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=float, nargs="+", default=[40.0, 2000.0])
    args = parser.parse_args()
    for per_day in args.per_day:
        db = build(args.days, per_day)
        size = db.stat().st_size / 1e6
        for name, (seconds, copied) in measure(db).items():
            print(
                f"{int(per_day)}/day x {args.days} d, warehouse {size:.1f} MB: {name:<9} "
                f"{seconds:.3f} s, copy {copied / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    main()
