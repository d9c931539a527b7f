"""`backlog pull` at 10,000 tickets a day: requests and seconds per vendor against the fakes.

Each fake (tests/support) serves one synthetic day of 10,000 tickets (about 1.7 events
each) in pages of the vendor's maximum size; the pull runs for real over loopback HTTP.
The table adds what each vendor's published rate limit makes of the same requests.

    .venv/bin/python benchmarks/pull.py [--tickets 10000] [--out benchmarks/pull-results.md]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks import pull, warehouse  # noqa: E402
from tasks.config import load_settings  # noqa: E402
from tests.support.fake_vendors import FakeFreshdesk, FakeJira, FakeServiceNow  # noqa: E402
from tests.support.fake_zendesk import FakeZendesk, synthetic_account  # noqa: E402

DAY = date(2026, 3, 2)
# (fake, its page size: the vendor's maximum for what the pull asks)
VENDORS = {
    "zendesk": (FakeZendesk, 1000),
    "freshdesk": (FakeFreshdesk, 100),
    "jira": (FakeJira, 100),
    "servicenow": (FakeServiceNow, 1000),
}


def rate_note(source: str, paths: Counter) -> str:
    """What the vendor's published limit makes of these requests."""
    total = sum(paths.values())
    if source == "zendesk":
        incremental = sum(n for p, n in paths.items() if "/incremental/" in p)
        return (
            f"{incremental} incremental-export requests at 10/min: at least "
            f"{math.ceil(incremental / 10) - 1}-{math.ceil(incremental / 10)} min waiting on "
            f"429 Retry-After (30/min with the High Volume add-on: "
            f"{math.ceil(incremental / 30)} min); {total - incremental} lookups fit any plan"
        )
    if source == "freshdesk":
        pages = paths.get("/api/v2/tickets", 0)
        credits = 2 * pages + (total - pages)  # include=stats costs a second credit
        return (
            f"{credits} credits ({pages} ticket pages x 2 with include=stats): list-tickets cap "
            f"20/min (legacy Growth) {math.ceil(pages / 20)} min, 100/min (Pro) "
            f"{math.ceil(pages / 100)} min; hourly plans (3,000-5,000/h) take it at once"
        )
    if source == "jira":
        return (
            f"{total} requests: Jira Cloud limits by cost per user with no published fixed "
            "rate; 429 Retry-After is honoured"
        )
    return (
        f"{total} requests: ServiceNow has no default limit; an instance's rate-limit rules "
        "(per user, per hour) are usually thousands an hour"
    )


def measure(source: str, tickets: int) -> dict:
    account = synthetic_account([DAY], per_day=tickets)
    fake_class, page_size = VENDORS[source]
    with fake_class(account, page_size=page_size) as fake, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db_path=Path(tmp) / "b.duckdb")
        with warehouse.connect(settings) as con:
            started = time.perf_counter()
            manifest = pull.pull_day(con, source, DAY, Path(tmp) / "e", "UTC", fake.environ())
            seconds = time.perf_counter() - started
        paths = Counter(r.path for r in fake.requests)
        size = sum(p.stat().st_size for p in (Path(tmp) / "e" / DAY.isoformat()).iterdir())
    return {
        "source": source,
        "requests": manifest["requests"],
        "pages": manifest["pages"],
        "records_in_window": manifest["records_in_window"],
        "seconds": seconds,
        "megabytes": size / 1e6,
        "rate": rate_note(source, paths),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "pull-results.md")
    args = parser.parse_args()
    rows = []
    for source in VENDORS:
        result = measure(source, args.tickets)
        print(result, flush=True)
        rows.append(result)
    lines = [
        f"# `backlog pull`: one day of {args.tickets:,} tickets against the fakes",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/pull.py` (2 cores, loopback "
        "HTTP, pages of each vendor's maximum size).",
        "",
        "| vendor | requests | pages | tickets in the day | seconds | MB on disk "
        "| the vendor's rate limit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        pages = ", ".join(f"{k} {v}" for k, v in r["pages"].items())
        lines.append(
            f"| {r['source']} | {r['requests']} | {pages} | {r['records_in_window']:,} | "
            f"{r['seconds']:.1f} | {r['megabytes']:.1f} | {r['rate']} |"
        )
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
