"""Write the golden outputs that `tests/test_golden.py` compares against.

Run once, with the code whose outputs are the reference (`python tests/golden/capture.py`).
Each case generates exports, loads all but the last two days in one backfill, runs the last
two mornings one by one, then builds the review pack of the last complete week; every digest
file and the review's Markdown are kept byte for byte.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

CASES = {
    # the demo's team (backlog demo: 60 days, seed 7), on fixed dates
    "demo": {"start": date(2026, 9, 1), "days": 60, "seed": 7},
    # a smaller team without events: status history from successive snapshots
    "snapshots": {
        "start": date(2026, 2, 2),
        "days": 35,
        "seed": 5,
        "tickets_per_day": 25,
        "with_events": False,
    },
}
# helpdesk-shaped fixtures, through their adapters
FIXTURE_CASES = {
    "zendesk": ("zendesk", "zendesk", date(2026, 3, 2), date(2026, 3, 3)),
    "servicenow": (
        "mapping/servicenow",
        "mapping:mappings/servicenow_incident.toml",
        date(2026, 3, 2),
        date(2026, 3, 3),
    ),
}
KEPT = (".json", ".md", ".blocks.json")


def run_case(name: str, work: Path, dest: Path) -> None:
    from flows.backfill import backfill
    from flows.daily_backlog import daily_backlog
    from flows.weekly_review import weekly_review
    from tasks.demo.synthetic import SyntheticConfig, generate_exports

    params = dict(CASES[name])
    start, days = params["start"], params["days"]
    exports, db, out = work / "exports", work / "backlog.duckdb", work / "out"
    generate_exports(exports, SyntheticConfig(**params))
    end = start + timedelta(days=days - 1)
    backfill(exports=exports, start=start, end=end - timedelta(days=2), db=db, out=out)
    for day in (end - timedelta(days=1), end):
        daily_backlog(exports=exports, day=day, db=db, out=out)
    monday = end - timedelta(days=end.weekday() + 7)
    week = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
    weekly_review(week=week, db=db, out=out)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for path in sorted(out.glob("digest-*")):
        if path.name.endswith(KEPT):
            shutil.copyfile(path, dest / path.name)
    shutil.copyfile(out / f"review-{week}.md", dest / f"review-{week}.md")


def run_fixture_case(name: str, work: Path, dest: Path) -> None:
    from flows.backfill import backfill

    folder, source, start, end = FIXTURE_CASES[name]
    out = work / "out"
    exports = HERE.parent / "fixtures" / folder
    backfill(exports=exports, start=start, end=end, source=source, db=work / "b.duckdb", out=out)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for path in sorted(out.glob("digest-*")):
        if path.name.endswith(KEPT):
            shutil.copyfile(path, dest / path.name)


if __name__ == "__main__":
    os.chdir(HERE.parent.parent)  # mapping paths are relative to the project
    for case in sys.argv[1:] or [*CASES, *FIXTURE_CASES]:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_case if case in CASES else run_fixture_case
            run(case, Path(tmp), HERE / case)
        print(case, sorted(p.name for p in (HERE / case).iterdir()))
