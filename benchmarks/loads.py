"""Time the backfill's loads batch by batch: CPU s and wall s, optionally per statement.

A script, not a test: timings live here, never in the test suite.

    .venv/bin/python benchmarks/loads.py WAREHOUSE.duckdb EXPORTS 2026-01-01 2026-01-28
    .venv/bin/python benchmarks/loads.py WAREHOUSE.duckdb EXPORTS 2026-01-29 2026-02-11 --statements
    .venv/bin/python benchmarks/loads.py WAREHOUSE.duckdb EXPORTS 2026-01-01 2026-01-28 --in-turn

Loads the export days of [START, END] in the backfill's batches (`ingest.load_days`),
staging each next batch ahead as `backlog backfill` does (`--in-turn`: each batch read,
typed, validated and stored in turn, as before 2026-12-07). GX is set up before the
clock starts. Work on a copy, or a new file: the warehouse is written. CPU s is the
whole process's (`time.process_time`: every thread, DuckDB's and the staging thread's),
so read a batch's CPU with the batch staged ahead as the work done while it loaded.
`--statements` (in turn only) adds the CPU and wall seconds per day of each SQL
statement, slowest first; what is left of a batch's CPU is Python (GX above all).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


class _Timed:
    """A connection whose `execute` and `executemany` add their seconds to `spent`."""

    def __init__(self, con: Any, spent: dict[str, list[float]]) -> None:
        self._con = con
        self._spent = spent

    def _timed(self, method: str, sql: str, *args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        result = getattr(self._con, method)(sql, *args, **kwargs)
        entry = self._spent[re.sub(r"_\d+\b", "_N", " ".join(str(sql).split()))[:110]]
        entry[0] += 1
        entry[1] += time.process_time() - cpu
        entry[2] += time.perf_counter() - wall
        return result

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed("execute", sql, *args, **kwargs)

    def executemany(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed("executemany", sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("exports", type=Path)
    parser.add_argument("start", type=date.fromisoformat)
    parser.add_argument("end", type=date.fromisoformat)
    parser.add_argument("--in-turn", action="store_true", help="no batch staged ahead")
    parser.add_argument("--statements", action="store_true", help="seconds per statement")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tasks import ingest, quality, warehouse
    from tasks.config import load_settings

    settings = load_settings(None, db_path=args.db, out_dir=args.db.parent / "out")
    runner = quality.SuiteRunner()
    runner.gx(settings.extensions)  # GX's set-up outside the clock
    days = ingest.backfill_days(args.exports, args.start, args.end, "canonical")
    batches = ingest.backfill_batches(days)
    spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    ahead_on = not (args.in_turn or args.statements)
    total_cpu = total_wall = 0.0
    with (
        warehouse.connect(settings) as con,
        ingest.StageAhead(con, args.exports, settings.quality) as ahead,
    ):
        timed = _Timed(con, spent) if args.statements else con
        for index, batch in enumerate(batches):
            cpu, wall = time.process_time(), time.perf_counter()
            staged = ahead.take(batch) if ahead_on else None
            waited = time.perf_counter() - wall
            if ahead_on and index + 1 < len(batches):
                ahead.start(batches[index + 1])
            outcomes = ingest.load_days(
                timed, batch, args.exports, settings.quality, settings.extensions, runner, staged
            )
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            total_cpu, total_wall = total_cpu + cpu, total_wall + wall
            failed = sum(isinstance(outcome, Exception) for outcome in outcomes)
            print(
                f"{batch[0].export_date}..{batch[-1].export_date}: CPU {cpu:.2f} s, wall "
                f"{wall:.2f} s ({cpu / len(batch):.2f} CPU s a day), waited for the staging "
                f"{waited:.1f} s, load {os.getloadavg()[0]:.1f}"
                + (f", {failed} failed" if failed else ""),
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(days)} days: CPU {total_cpu:.1f} s, wall {total_wall:.1f} s "
        f"({total_cpu / len(days):.3f} CPU s, {total_wall / len(days):.3f} wall s a day), "
        f"peak {peak:,.0f} MB"
    )
    for sql, (count, cpu, wall) in sorted(spent.items(), key=lambda item: -item[1][1])[:30]:
        print(
            f"{cpu / len(days):7.3f} CPU s/day {wall / len(days):7.3f} wall s/day "
            f"{count:5.0f}x  {sql}"
        )


if __name__ == "__main__":
    main()
