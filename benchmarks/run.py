"""Benchmark the daily run, the backfill and the plain-DuckDB floor (issue 10).

A script, not a test: timings live here, never in the test suite.

    .venv/bin/python benchmarks/run.py --scale small|large [--days N] [--out benchmarks/results.md]

Everything it generates (exports, warehouses, outputs) goes under /tmp/bench (or
$BENCH_ROOT) and is reused by the next run. Each measurement is a whole process run
under /usr/bin/time -v: wall time and peak RSS as the kernel reports them.

Measurements (see benchmarks/README.md):
  backfill     `backlog backfill` of days 1..N-1 (the history the daily run sits on)
  daily        `backlog run --date N` on a copy of that warehouse (Prefect, CLI, everything)
  copy         the readers' copy alone, as a run ends it (checkpoint, clone or copy, rename),
               at the default readers_copy_max_gb: above it the row is the skip
  startup      imports of the flows + Prefect's ephemeral server + one empty flow run
  warm         the daily flow in a process where Prefect has started already (as under
               `backlog serve`): the flow run alone is the per-day cost
  plain        the same day's work without Prefect (load_day, build_models, KB, digest)
  floor        plain DuckDB in one process: read day N's files into tables, then the daily
               flow figures (inflow/outflow/reopened/backlog per day) over the whole history
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
BACKLOG = REPO / ".venv" / "bin" / "backlog"
ROOT = Path(os.environ.get("BENCH_ROOT", "/tmp/bench"))
START = date(2026, 1, 1)
SCALES = {"small": 200, "large": 10_000}
ENV = {
    **os.environ,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # a kept PREFECT_HOME: a fresh one adds ~10 s to the first start (TOOLCHAIN.md)
    "PREFECT_HOME": str(ROOT / "prefect-home"),
    "PYTHONPATH": str(REPO),
    # the shared 2-core machine can be slow to bring the ephemeral server up (default 20 s)
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


# ---------------------------------------------------------------------------------------
# measuring whole processes


def measure(name: str, argv: list[str], cwd: Path, log: Path) -> dict:
    """Run argv under /usr/bin/time -v; wall s, peak MB, CPU s and the load around it."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.run(
            ["/usr/bin/time", "-v", *argv],
            cwd=cwd,
            env=ENV,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    wall_outer = time.perf_counter() - started
    text = log.read_text(errors="replace")
    rss_kb = _field(text, r"Maximum resident set size \(kbytes\): (\d+)")
    user = _field(text, r"User time \(seconds\): ([\d.]+)")
    system = _field(text, r"System time \(seconds\): ([\d.]+)")
    result = {
        "measurement": name,
        "wall_s": round(wall_outer, 2),
        "peak_mb": round(rss_kb / 1024, 0) if rss_kb else None,
        "cpu_s": round((user or 0) + (system or 0), 1),
        "exit": proc.returncode,
        "load": f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}",
        "log": str(log),
    }
    print(
        f"  {name}: {result['wall_s']} s, {result['peak_mb']} MB, exit {proc.returncode}, "
        f"load {result['load']}",
        flush=True,
    )
    if proc.returncode not in (0,):
        print(f"    (non-zero exit: see {log})", flush=True)
    return result


def _field(text: str, pattern: str) -> float | None:
    found = re.findall(pattern, text)
    return float(found[-1]) if found else None


# ---------------------------------------------------------------------------------------
# inputs: generated exports, the backfilled warehouse, the floor's warehouse


def exports_for(scale: str, days: int) -> Path:
    """A generated export root with at least `days` days of this scale (generate if none)."""
    for folder in sorted(ROOT.glob(f"{scale}-*d")):
        found = re.fullmatch(rf"{scale}-(\d+)d", folder.name)  # not the {scale}-work-* folders
        if found and int(found[1]) >= days and (folder / "GENERATED").exists():
            return folder / "exports"
    folder = ROOT / f"{scale}-{days}d"
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    print(f"generating {scale}: {days} days x {SCALES[scale]} tickets/day -> {folder}", flush=True)
    result = measure(
        "generate",
        [
            str(PYTHON),
            __file__,
            "_generate",
            str(folder / "exports"),
            str(SCALES[scale]),
            str(days),
        ],
        REPO,
        folder / "generate.log",
    )
    (folder / "GENERATED").write_text(json.dumps(result))
    return folder / "exports"


def _generate(root: str, per_day: str, days: str) -> None:
    sys.path.insert(0, str(REPO))
    from tasks.demo.synthetic import SyntheticConfig, generate_exports

    generate_exports(
        Path(root),
        SyntheticConfig(start=START, days=int(days), tickets_per_day=float(per_day), fmt="parquet"),
    )


# ---------------------------------------------------------------------------------------
# the plain-Python path (no Prefect), with per-step timings


def _plain(db: str, exports: str, day_text: str, out: str, timings: str, per_model: str) -> None:
    """The daily flow's steps as plain calls; step timings (wall and CPU s) as JSON to `timings`.

    CPU seconds are the whole process's (`time.process_time`: every DuckDB thread), so they
    are the figure to compare on a shared machine.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    sys.path.insert(0, str(REPO))
    import duckdb

    from tasks import ingest, kb, models, quality, warehouse
    from tasks.config import load_settings
    from tasks.delivery.digest import slack_payload
    from tasks.ingest import load, stage
    from tasks.kb import refresh as kb_refresh
    from tasks.models import runner
    from tasks.quality import rows as quality_rows
    from tasks.render import blocks
    from tasks.reports import digest

    steps: dict[str, float] = {"imports": time.perf_counter() - t0}
    steps_cpu: dict[str, float] = {"imports": time.process_time() - c0}
    steps_notes: dict[str, str] = {}
    sub: dict[str, float] = {}
    sub_cpu: dict[str, float] = {}

    def timed(module, name: str, label: str):
        """Time `module.name` where its callers look it up (a module-level name)."""
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                sub[label] = sub.get(label, 0.0) + time.perf_counter() - started
                sub_cpu[label] = sub_cpu.get(label, 0.0) + time.process_time() - cpu

        setattr(module, name, wrapper)

    # ingest's inner steps: read the file, type it, validate (GX + duplicates), store
    timed(stage, "read_records", "ingest: read files -> load_records")
    timed(stage, "stage_file", "ingest: read + repair + type (stage_file)")
    timed(quality, "validate_loads", "ingest: validate (GX suite + duplicates)")
    timed(quality_rows, "_validate", "ingest: validate: GX suite only")
    timed(load, "_new_columns", "ingest: schema-drift check")
    timed(load, "forget_day", "ingest: forget earlier load of the day")
    timed(load, "_store_file", "ingest: store (raw, staging, ledger)")
    # the build's planning (fingerprint, scope) and the models' manifest checks
    timed(runner, "plan_build", "models: plan (fingerprint, what changed)")
    timed(runner, "set_scope", "models: scope tickets")
    timed(runner, "check_model", "models: manifest checks")
    timed(runner, "write_comments", "models: comments")
    timed(runner, "record", "models: record the build")
    # the KB's steps, patched where the refresh calls them
    timed(kb_refresh, "cluster_texts", "kb: cluster_texts")
    timed(kb_refresh, "solved_tickets", "kb: read solved tickets")
    timed(kb_refresh, "store_day", "kb: store + KB marts")
    timed(kb_refresh, "refresh_sampled", "kb: sampled mode (large window)")

    model_cpu: dict[str, float] = {}
    build_one = runner._build_one

    def timed_model(con, model, plan, specs, sql_dir):
        cpu = time.process_time()
        try:
            return build_one(con, model, plan, specs, sql_dir)
        finally:
            model_cpu[model.table] = time.process_time() - cpu

    if per_model == "1":
        runner._build_one = timed_model

    def step(name: str, started: float, cpu: float) -> None:
        steps[name] = time.perf_counter() - started
        steps_cpu[name] = time.process_time() - cpu

    day = date.fromisoformat(day_text)
    settings = load_settings(None, db_path=Path(db), out_dir=Path(out))
    started, cpu = time.perf_counter(), time.process_time()
    con = warehouse.connect(settings)
    warehouse.defer_vacuum(con)  # as the daily flow does
    step("connect + schema", started, cpu)

    started, cpu = time.perf_counter(), time.process_time()
    runner_gx = quality.SuiteRunner()  # the flow's one GX set-up for its loads
    export = ingest.export_day(Path(exports), day)
    ingest.load_day(con, export, Path(exports), settings.quality, settings.extensions, runner_gx)
    step("ingest.load_day", started, cpu)

    started, cpu = time.perf_counter(), time.process_time()
    model_times: dict[str, float] = {}
    plan = models.build_models(
        con,
        ext=settings.extensions,
        lookback_days=settings.models.lookback_days,
        timings=model_times if per_model == "1" else None,
    )
    steps_notes["models"] = f"{'full' if plan.full else 'incremental'}: {plan.reason}"
    step("models.build_models", started, cpu)

    started, cpu = time.perf_counter(), time.process_time()
    kb.refresh_candidates(con, day, settings)
    step("kb.refresh_candidates", started, cpu)

    started, cpu = time.perf_counter(), time.process_time()
    result = digest.build_digest(con, day, settings)
    step("digest.build_digest", started, cpu)

    started, cpu = time.perf_counter(), time.process_time()
    digest.write_digest(result, settings.out_dir)
    kb.write_drafts(con, day, settings.out_dir)
    quality.write_data_docs(con, settings.out_dir, [day], settings.extensions)
    blocks.write_payload(slack_payload(result, settings), settings.out_dir, result["date"])
    step("write digest/drafts/data docs/payload", started, cpu)
    started, cpu = time.perf_counter(), time.process_time()
    con.close()
    step("close (checkpoint)", started, cpu)
    steps["total in process"] = time.perf_counter() - t0
    steps_cpu["total in process"] = time.process_time() - c0
    Path(timings).write_text(
        json.dumps(
            {
                "steps": steps,
                "steps_cpu": steps_cpu,
                "sub": sub,
                "sub_cpu": sub_cpu,
                "models": model_times,
                "models_cpu": model_cpu,
                "notes": steps_notes,
            },
            indent=1,
        )
    )
    del duckdb


def _warm(db: str, exports: str, day_text: str, out: str, timings: str) -> None:
    """Start Prefect with an empty flow (and import GX), then time the daily flow of one day."""
    sys.path.insert(0, str(REPO))
    from prefect import flow

    from flows.daily_backlog import daily_backlog
    from tasks import quality

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    loading = quality.SuiteRunner().preload()
    warm_up()
    if loading is not None:
        loading.join()
    started, cpu = time.perf_counter(), time.process_time()
    daily_backlog(
        exports=Path(exports),
        day=date.fromisoformat(day_text),
        db=Path(db),
        out=Path(out),
        return_state=True,
    )
    Path(timings).write_text(
        json.dumps(
            {"flow_s": time.perf_counter() - started, "flow_cpu_s": time.process_time() - cpu}
        )
    )


# ---------------------------------------------------------------------------------------
# the floor: plain DuckDB, one process


FLOOR_HISTORY = """
create or replace table daily_flow as
with
tickets as (
    select ticket_id, arg_max(created_at, (updated_at, export_date)) as created_at,
        arg_max(status, (updated_at, export_date)) as status
    from tickets_raw group by ticket_id
),
live as (select ticket_id, created_at from tickets where status <> 'deleted'),
changes as (
    select ticket_id, created_at as changed_at, 'new' as to_status, 0 as s1,
        0 as s2, 0 as s3
    from live
    union all
    select e.ticket_id, greatest(e.occurred_at, l.created_at), e.to_value, 1,
        epoch_ms(e.export_date::timestamp), e.row_number
    from events_raw as e inner join live as l using (ticket_id)
    where e.kind = 'status_change'
        and e.to_value in ('new', 'open', 'pending', 'hold', 'solved', 'closed')
),
chained as (
    select *, lag(to_status) over (partition by ticket_id order by changed_at, s1, s2, s3)
        as from_status
    from changes
),
history as (
    select timezone('UTC', changed_at)::date as d, from_status, to_status,
        from_status is null as is_creation,
        coalesce(from_status in ('new','open','pending','hold')
            and to_status in ('solved','closed'), false) as is_solve,
        coalesce(from_status in ('solved','closed')
            and to_status in ('new','open','pending','hold'), false) as is_reopen,
    from chained where from_status is null or from_status <> to_status
),
deltas as (
    select d, sum(case when to_status in ('new','open','pending','hold') then 1 else 0 end
              - case when from_status in ('new','open','pending','hold') then 1 else 0 end)
              as delta,
        count(*) filter (where is_creation) as inflow,
        count(*) filter (where is_solve) as outflow,
        count(*) filter (where is_reopen) as reopened,
    from history group by d
)
select d as report_date, inflow, outflow, reopened,
    sum(delta) over (order by d rows unbounded preceding)::bigint as backlog,
    sum(inflow) over (order by d rows between 6 preceding and current row) as inflow_7d,
    sum(outflow) over (order by d rows between 6 preceding and current row) as outflow_7d
from deltas order by d
"""


def _floor(db: str, exports: str, day_text: str) -> None:
    """Load day N's files into the floor tables, compute the daily flow, print day N."""
    import duckdb

    con = duckdb.connect(db)
    con.execute("set TimeZone = 'UTC'")
    folder = Path(exports) / day_text
    con.execute("begin transaction")
    for entity in ("tickets", "events"):
        path = str(folder / f"{entity}.parquet")
        con.execute(f"delete from {entity}_raw where export_date = ?", [day_text])
        con.execute(
            f"insert into {entity}_raw by name select * exclude (filename, file_row_number), "
            "?::date as export_date "
            f"from (select *, file_row_number + 1 as row_number from "
            f"read_parquet(?, filename = true, file_row_number = true))",
            [day_text, path],
        )
    con.execute(FLOOR_HISTORY)
    con.execute("commit")
    row = con.execute("select * from daily_flow where report_date = ?", [day_text]).fetchone()
    print("floor", day_text, row)


def build_floor_base(exports: Path, days: list[date], path: Path) -> None:
    """The floor's history: days 1..N-1 of the raw files as two plain tables (untimed)."""
    import duckdb

    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("set TimeZone = 'UTC'")
    for entity in ("tickets", "events"):
        files = [str(exports / d.isoformat() / f"{entity}.parquet") for d in days]
        con.execute(
            f"create table {entity}_raw as select * exclude (filename, file_row_number), "
            "regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})', 1)::date as export_date, "
            "file_row_number + 1 as row_number "
            "from read_parquet(?, filename = true, file_row_number = true)",
            [files],
        )
    con.execute(FLOOR_HISTORY)
    con.close()
    tmp.rename(path)


# ---------------------------------------------------------------------------------------
# the benchmark


def machine() -> dict:
    import duckdb

    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    cpu = re.search(r"model name\s+: (.+)", Path("/proc/cpuinfo").read_text())
    version = subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import duckdb, prefect, great_expectations as g; "
            "print(duckdb.__version__, prefect.__version__, g.__version__)",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    ).stdout.split()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": version[0] if version else duckdb.__version__,
        "prefect": version[1] if len(version) > 1 else "?",
        "great_expectations": version[2] if len(version) > 2 else "?",
        "os": platform.platform(),
    }


def bench(scale: str, days: int, profile: bool) -> dict:
    exports = exports_for(scale, days)
    all_days = sorted(date.fromisoformat(p.name) for p in exports.iterdir() if p.is_dir())
    history_days = all_days[: days - 1]
    last = all_days[days - 1]
    work = ROOT / f"{scale}-work-{days}d"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    print(f"{scale}: {days} days ({history_days[0]} .. {last}), exports {exports}", flush=True)

    # warm Prefect's home once (a fresh PREFECT_HOME adds ~10 s to the first start)
    startup_script = (
        "import flows.cli, flows.daily_backlog\n"
        "from prefect import flow\n"
        "@flow(name='bench-noop')\n"
        "def noop():\n    return 1\n"
        "noop()\n"
    )
    subprocess.run(
        [str(PYTHON), "-c", startup_script], cwd=work, env=ENV, capture_output=True, check=False
    )

    # (2) the backfill of days 1..N-1: also the warehouse the daily run sits on
    base = work / "base.duckdb"
    cached = work / "backfill.json"
    if base.exists() and cached.exists():
        backfill = json.loads(cached.read_text()) | {"cached": True}
        print(f"  backfill: reused ({backfill['wall_s']} s measured {backfill.get('at')})")
    else:
        base.unlink(missing_ok=True)
        backfill = measure(
            f"backfill ({len(history_days)} days)",
            [
                str(BACKLOG),
                "backfill",
                "--exports",
                str(exports),
                "--start",
                history_days[0].isoformat(),
                "--end",
                history_days[-1].isoformat(),
                "--db",
                str(base),
                "--out",
                str(work / "out-backfill"),
            ],
            work,
            work / "backfill.log",
        )
        backfill["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        # exit 1 can be the digest flagging a data issue (the warehouse is loaded); a
        # missing warehouse or a run without "loaded" lines is a failure
        if backfill["exit"] not in (0, 1) or "Timed out" in (work / "backfill.log").read_text():
            base.unlink(missing_ok=True)
            raise SystemExit(f"backfill failed, see {work / 'backfill.log'}")
        cached.write_text(json.dumps(backfill))
    rows.append(backfill)

    # start-up: imports + Prefect ephemeral server + an empty flow
    rows.append(
        measure(
            "start-up (imports + Prefect server + empty flow)",
            [str(PYTHON), "-c", startup_script],
            work,
            work / "startup.log",
        )
    )
    rows.append(
        measure(
            "start-up (imports only, no flow)",
            [
                str(PYTHON),
                "-c",
                "import flows.cli, flows.daily_backlog, tasks.quality, great_expectations, sklearn",
            ],
            work,
            work / "imports.log",
        )
    )

    # (1) the daily run of day N on a copy of the backfilled warehouse
    daily_db = work / "daily.duckdb"
    shutil.copyfile(base, daily_db)
    rows.append(
        measure(
            "daily run (backlog run, whole process)",
            run_day(exports, last, daily_db, work / "out-daily"),
            work,
            work / "daily.log",
        )
    )
    rows.append(measure_readers_copy(work, daily_db))
    # day N's figures for the floor's check; then the copy goes (disk: within 40 GB at a
    # year of 10,000 a day, 13.2 GB a warehouse: the base + one working copy at a time)
    pipeline = pipeline_figures(daily_db, last)
    daily_db.unlink(missing_ok=True)

    # a full rebuild (what a configuration change forces): day N with --full-refresh, at
    # the default [warehouse] memory_limit, so its peak RSS is the memory bar's figure
    full_db = work / "full.duckdb"
    shutil.copyfile(base, full_db)
    rows.append(
        measure(
            "full rebuild (backlog run --full-refresh, whole process)",
            run_day(exports, last, full_db, work / "out-full", "--full-refresh"),
            work,
            work / "full.log",
        )
    )
    full_db.unlink(missing_ok=True)

    # the same run while a `backlog serve` on that warehouse is up: `backlog run` reuses
    # its Prefect server instead of starting a temporary one (flows/local_server.py); then
    # the served deployment itself, triggered as its schedule would, trigger to digest
    rows.extend(measure_with_serve(work, exports, last, base))

    # the same flow in a process that has started already (what `backlog serve` does each
    # morning): the flow run alone is the per-day cost, start-up kept out
    warm_db = work / "warm.duckdb"
    shutil.copyfile(base, warm_db)
    warm_json = work / "warm.json"
    warm_json.unlink(missing_ok=True)
    warm = measure(
        "warm process (start-up + the daily flow, whole process)",
        [
            str(PYTHON),
            __file__,
            "_warm",
            str(warm_db),
            str(exports),
            last.isoformat(),
            str(work / "out-warm"),
            str(warm_json),
        ],
        work,
        work / "warm.log",
    )
    rows.append(warm)
    if warm_json.exists():
        timing = json.loads(warm_json.read_text())
        rows.append(
            warm
            | {
                "measurement": "daily run in a warm process (the flow run only)",
                "wall_s": round(timing["flow_s"], 2),
                "cpu_s": round(timing["flow_cpu_s"], 1),
            }
        )
    warm_db.unlink(missing_ok=True)

    # the same day without Prefect, step by step (and model by model)
    plain_db = work / "plain.duckdb"
    shutil.copyfile(base, plain_db)
    timings = work / "plain-timings.json"
    argv = [str(PYTHON)]
    if profile:
        argv += ["-m", "cProfile", "-o", str(work / "plain.prof")]
    argv += [
        __file__,
        "_plain",
        str(plain_db),
        str(exports),
        last.isoformat(),
        str(work / "out-plain"),
        str(timings),
        "1",
    ]
    plain = measure("daily work without Prefect (plain Python)", argv, work, work / "plain.log")
    if timings.exists():
        plain["steps"] = json.loads(timings.read_text())
    rows.append(plain)
    plain_db.unlink(missing_ok=True)  # a year at 10k a day is tens of GB a copy

    return finish(scale, days, exports, history_days, last, work, rows, pipeline)


def measure_readers_copy(work: Path, db: Path) -> dict:
    """The readers' copy of `db` in a process of its own, at the default size limit: what
    every run, backfill and digest adds at its end (a copy above the limit is skipped)."""
    outcome = work / "readers-copy.json"
    outcome.unlink(missing_ok=True)
    target = work / "out-copy" / f"{db.stem}-latest.duckdb"
    row = measure(
        "readers' copy (checkpoint + copy + rename, whole process)",
        [str(PYTHON), __file__, "_copy", str(db), str(target), str(outcome)],
        work,
        work / "readers-copy.log",
    )
    target.unlink(missing_ok=True)  # a year at 10k a day is tens of GB a copy
    if outcome.exists():
        done = json.loads(outcome.read_text())
        row["readers_copy"] = done
        if not done["published"]:
            row["measurement"] = (
                f"readers' copy: skipped ({done['size_gb']:.1f} GB warehouse, above "
                f"readers_copy_max_gb = {done['max_gb']:g})"
            )
        elif done["cloned"]:
            row["measurement"] = "readers' copy (checkpoint + clone + rename, whole process)"
    return row


def _copy(db: str, target: str, outcome: str) -> None:
    """Publish the readers' copy of `db` at `target` as a run does; the outcome as JSON."""
    sys.path.insert(0, str(REPO))
    import duckdb

    from tasks.config import load_settings
    from tasks.warehouse import PublishedCopy, publish_copy

    max_gb = load_settings(None, db_path=Path(db)).readers_copy_max_gb
    con = duckdb.connect(db)
    started = time.perf_counter()
    copy = publish_copy(con, Path(db), Path(target), max_gb)
    seconds = time.perf_counter() - started
    con.close()
    published = isinstance(copy, PublishedCopy)
    print(copy.message if not published else f"published in {seconds:.2f} s")
    Path(outcome).write_text(
        json.dumps(
            {
                "published": published,
                "cloned": published and copy.cloned,
                "size_gb": copy.size_bytes / 1e9,
                "max_gb": max_gb,
                "seconds": seconds,
            }
        )
    )


def pipeline_figures(db: Path, day: date) -> list | None:
    """Day N's inflow, outflow, reopened and backlog in the pipeline's warehouse `db`."""
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute(
                "select inflow, outflow, reopened, backlog from marts.fct_daily_flow "
                "where report_date = ?",
                [day],
            ).fetchone()
    except duckdb.Error as exc:
        print(f"  pipeline's figures unread: {str(exc).splitlines()[0]}", flush=True)
        return None
    return list(row) if row else None


def run_day(exports: Path, day: date, db: Path, out: Path, *extra: str) -> list[str]:
    """The `backlog run` command line of one day on warehouse `db`."""
    return [
        str(BACKLOG),
        "run",
        "--exports",
        str(exports),
        "--date",
        day.isoformat(),
        "--db",
        str(db),
        "--out",
        str(out),
        *extra,
    ]


SERVING = "Serving daily-backlog/daily-digest"  # serve's log line once it polls for runs


def measure_with_serve(work: Path, exports: Path, last: date, base: Path) -> list[dict]:
    """`backlog serve` (same warehouse) from its start until it is ready; while it is up,
    `backlog run` of day N, which reuses its server; then two scheduled runs of its daily
    deployment (the first morning after serve started, and the next), each from its
    scheduled time to its digest."""
    served_db = work / "served.duckdb"
    shutil.copyfile(base, served_db)
    announcement = Path(f"{served_db}.prefect-api")
    announcement.unlink(missing_ok=True)
    config = work / "served.toml"
    config.write_text(
        f'db_path = "{served_db}"\nout_dir = "{work / "out-served"}"\nexports_dir = "{exports}"\n',
        encoding="utf-8",
    )
    log_path = work / "serve.log"
    log = log_path.open("w")
    load = os.getloadavg()[0]
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(BACKLOG), "serve", "--config", str(config)],
        cwd=work,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rows = []
    try:
        # ready: its server announced and its deployments registered (serve's log line)
        deadline = time.monotonic() + 180
        while not (announcement.exists() and SERVING in log_path.read_text()):
            if server.poll() is not None:
                print(f"  backlog serve stopped (see {log_path})", flush=True)
                return rows
            if time.monotonic() > deadline:
                print("  backlog serve was not ready in 180 s", flush=True)
                return rows
            time.sleep(0.05)
        rows.append(
            {
                "measurement": "backlog serve, start to ready (server announced, deployments "
                "registered; serve's process tree CPU)",
                "wall_s": round(time.perf_counter() - started, 2),
                "peak_mb": None,
                "cpu_s": round(tree_cpu_s(server.pid), 1),
                "exit": 0,
                "load": f"{load:.2f} -> {os.getloadavg()[0]:.2f}",
                "log": str(log_path),
            }
        )
        print(
            f"  backlog serve ready: {rows[0]['wall_s']} s, {rows[0]['cpu_s']} CPU s, "
            f"load {rows[0]['load']}",
            flush=True,
        )
        api = json.loads(announcement.read_text())["api_url"]
        for morning in ("first", "next"):
            shutil.copyfile(base, served_db)  # each scheduled run loads day N afresh
            rows.append(measure_scheduled(server.pid, api, work, last, morning))
        shutil.copyfile(base, served_db)
        rows.insert(
            1,
            measure(
                "daily run while backlog serve is up (reuses its Prefect server)",
                [
                    str(BACKLOG),
                    "run",
                    "--config",
                    str(config),
                    "--exports",
                    str(exports),
                    "--date",
                    last.isoformat(),
                ],
                work,
                work / "served-run.log",
            ),
        )
        return rows
    finally:
        # SIGTERM, as systemd stops a service: a process started in the background (nohup,
        # `&` in a script) ignores SIGINT, and then serve never stopped (killed after 60 s,
        # it left its server running)
        server.send_signal(15)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        served_db.unlink(missing_ok=True)


# waits for serve's deployment, schedules a run of it AHEAD seconds from now (as a cron
# would: serve sees it before it is due and starts it on time), waits for its final state
SCHEDULE = """
import json, sys, time
from datetime import datetime, timedelta, timezone
from prefect.client.orchestration import get_client
from prefect.states import Scheduled
day, ahead = sys.argv[1], float(sys.argv[2])
with get_client(sync_client=True) as client:
    for _ in range(600):
        try:
            deployment = client.read_deployment_by_name("daily-backlog/daily-digest")
            break
        except Exception:
            time.sleep(0.5)
    due = datetime.now(timezone.utc) + timedelta(seconds=ahead)
    run = client.create_flow_run_from_deployment(
        deployment.id, parameters={"day": day}, state=Scheduled(scheduled_time=due)
    )
    print(json.dumps({"scheduled": due.isoformat()}), flush=True)
    while True:
        run = client.read_flow_run(run.id)
        if run.state.is_final():
            break
        time.sleep(0.2)
    print(json.dumps({"state": run.state.type.value, "scheduled": due.isoformat(),
                      "start": run.start_time.isoformat(), "end": run.end_time.isoformat()}))
"""


def measure_scheduled(serve_pid: int, api: str, work: Path, last: date, morning: str) -> dict:
    """One scheduled run of serve's daily deployment: wall from its scheduled time to its
    end (the server's times), and the CPU seconds of serve's process tree meanwhile (serve,
    its server, any process it starts for the run), from the trigger to the end."""
    ahead = 15.0  # above Prefect's 10 s poll, so both runners start it on time
    log = work / f"served-{morning}.log"
    with log.open("w") as handle:
        trigger = subprocess.Popen(
            [str(PYTHON), "-c", SCHEDULE, last.isoformat(), str(ahead)],
            cwd=work,
            env=ENV | {"PREFECT_API_URL": api},
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
        )
        first = trigger.stdout.readline()  # the run is scheduled: count from here
        cpu_before = tree_cpu_s(serve_pid)
        load = os.getloadavg()[0]
        rest, _ = trigger.communicate()
        cpu_after = tree_cpu_s(serve_pid)
        handle.write(first + rest)
    try:
        timing = json.loads(rest.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"  scheduled run ({morning}) gave no result: see {log}", flush=True)
        return {"measurement": f"scheduled run under backlog serve ({morning})", "exit": 1}
    scheduled = datetime.fromisoformat(timing["scheduled"])
    wall = (datetime.fromisoformat(timing["end"]) - scheduled).total_seconds()
    late = (datetime.fromisoformat(timing["start"]) - scheduled).total_seconds()
    row = {
        "measurement": f"scheduled run under backlog serve, {morning} morning "
        "(scheduled time to digest; serve's process tree CPU)",
        "wall_s": round(wall, 2),
        "peak_mb": None,
        "cpu_s": round(cpu_after - cpu_before, 1),
        "exit": 0 if timing["state"] == "COMPLETED" else 1,
        "load": f"{load:.2f} -> {os.getloadavg()[0]:.2f}",
        "log": str(log),
        "started_late_s": round(late, 2),
        # serve's own memory after the run: what a long-lived process keeps between mornings
        "serve_rss_mb": _status_mb(serve_pid, "VmRSS"),
        "serve_peak_mb": _status_mb(serve_pid, "VmHWM"),
    }
    print(
        f"  scheduled run ({morning}): {row['wall_s']} s, {row['cpu_s']} CPU s "
        f"(started {late:.1f} s after its time), {timing['state']}, load {row['load']}; "
        f"serve's RSS {row['serve_rss_mb']} MB, peak {row['serve_peak_mb']} MB",
        flush=True,
    )
    return row


def _status_mb(pid: int, field: str) -> float | None:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(found[1]) / 1024) if found else None


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, live or reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = (Path("/proc") / str(current) / "stat").read_text().rsplit(")", 1)[1]
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(v) for v in fields.split()[11:15])
        total += (utime + stime + cutime + cstime) / tick
        todo.extend(parents.get(current, []))
    return total


def finish(scale, days, exports, history_days, last, work, rows, pipeline=None) -> dict:
    """The floor, the check of its figures against the pipeline's (`pipeline`: day N's
    figures read after the daily run), the entry."""
    base = work / "base.duckdb"
    rows = [row for row in rows if not row.get("is_floor")]
    # (3) the floor: plain DuckDB, day N's files into tables + daily flow over the history
    floor_base = work / "floor-base.duckdb"
    build_floor_base(exports, history_days, floor_base)
    floor_db = work / "floor.duckdb"
    shutil.copyfile(floor_base, floor_db)
    floor = measure(
        "floor (plain DuckDB, one process)",
        [str(PYTHON), __file__, "_floor", str(floor_db), str(exports), last.isoformat()],
        work,
        work / "floor.log",
    )
    floor["is_floor"] = True
    rows.append(floor)

    # does the floor compute the same figures as the pipeline for day N?
    import duckdb

    check = {"pipeline": pipeline}
    try:
        con = duckdb.connect(str(floor_db), read_only=True)
        check["floor"] = con.execute(
            "select inflow, outflow, reopened, backlog from daily_flow where report_date = ?",
            [last],
        ).fetchone()
        con.close()
    except duckdb.Error as exc:
        check["error"] = str(exc).splitlines()[0]
    print(
        f"  day {last} (inflow, outflow, reopened, backlog): pipeline {check.get('pipeline')}"
        f", floor {check.get('floor')}",
        flush=True,
    )

    sizes = {p.name: round(p.stat().st_size / 2**20) for p in (base, floor_base)}
    files = list(exports.glob(f"{last.isoformat()}/*"))
    return {
        "scale": scale,
        "tickets_per_day": SCALES[scale],
        "days": days,
        "days_note": "" if days == 365 else f"cut to {days} days with --days",
        "last_day": last.isoformat(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "check": {k: list(v) if isinstance(v, tuple) else v for k, v in check.items()},
        "sizes_mb": sizes,
        "last_day_files_mb": round(sum(f.stat().st_size for f in files) / 2**20, 1),
    }


def render_profile(r: dict, top: int = 25) -> str:
    """The measured half of benchmarks/profile.md: steps, sub-steps, models, cProfile."""
    import io
    import pstats

    plain = next((row for row in r["rows"] if row.get("steps")), None)
    work = ROOT / f"{r['scale']}-work-{r['days']}d"
    lines = [
        f"# Daily-run profile, measured: {r['scale']} ({r['tickets_per_day']}/day x "
        f"{r['days']} days), day {r['last_day']}",
        "",
        f"Written by `benchmarks/run.py` at {r['at']}; the plain-Python path (no Prefect)"
        + (
            " under cProfile (which adds overhead to Python-heavy steps)"
            if (work / "plain.prof").exists()
            else ""
        )
        + f". Load: {plain['load'] if plain else '?'}.",
        "",
    ]
    if plain:
        data = plain["steps"]

        def table(title: str, wall: dict, cpu: dict, ranked: bool) -> list[str]:
            items = sorted(wall.items(), key=lambda kv: -kv[1]) if ranked else wall.items()
            return [
                "",
                f"## {title}",
                "",
                "| | wall s | CPU s |",
                "| --- | ---: | ---: |",
                *(
                    f"| {k} | {v:.2f} | "
                    + (f"{cpu[k]:.2f}" if k in cpu else "")  # older runs: wall only
                    + " |"
                    for k, v in items
                ),
            ]

        lines += table("Steps", data["steps"], data.get("steps_cpu", {}), ranked=False)[1:]
        lines += table("Inside the steps", data["sub"], data.get("sub_cpu", {}), ranked=True)
        lines += table(
            "SQL models, slowest first", data["models"], data.get("models_cpu", {}), ranked=True
        )
        model_cpu = data.get("models_cpu", {})
        lines.append(
            f"| (all {len(data['models'])} models) | {sum(data['models'].values()):.2f} | "
            + (f"{sum(model_cpu.values()):.2f}" if model_cpu else "")
            + " |"
        )
    prof = work / "plain.prof"
    if prof.exists():
        buffer = io.StringIO()
        pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(top)
        lines += [
            "",
            f"## cProfile, top {top} by cumulative time",
            "",
            "```",
            buffer.getvalue().strip().split("\n\n", 1)[-1],
            "```",
        ]
    return "\n".join(lines) + "\n"


def render(results: dict, mach: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `benchmarks/run.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {mach['cores']} cores ({mach['cpu']}), {mach['ram_gb']} GB RAM, "
        f"Python {mach['python']}, DuckDB {mach['duckdb']}, Prefect {mach['prefect']}, "
        f"Great Expectations {mach['great_expectations']}, {mach['os']}. The cores are "
        "shared with other work: the load average (1 min, before -> after) is beside "
        "every figure.",
        "",
        "| scale | measurement | wall s | peak MB | CPU s | ratio to floor | load | exit |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for scale in ("small", "large"):
        if scale not in results:
            continue
        r = results[scale]
        floor = next((row for row in r["rows"] if row.get("is_floor")), None)
        label = f"{scale} ({r['tickets_per_day']}/day x {r['days']} d)"
        for row in r["rows"]:
            ratio = (
                f"{row['wall_s'] / floor['wall_s']:.1f}x"
                if floor
                and floor["wall_s"]
                and not row.get("is_floor")
                and not row["measurement"].startswith("backfill")
                else ""
            )
            cached = " (cached)" if row.get("cached") else ""
            lines.append(
                f"| {label} | {row['measurement']}{cached} | {row['wall_s']:.1f} | "
                f"{row['peak_mb'] or 0:.0f} | {row['cpu_s']} | {ratio} | {row['load']} | "
                f"{row['exit']} |"
            )
    lines += ["", "Notes:", ""]
    for scale in ("small", "large"):
        if scale not in results:
            continue
        r = results[scale]
        lines.append(
            f"- {scale}: last day {r['last_day']} ({r['last_day_files_mb']} MB of Parquet); "
            f"warehouse after backfill {r['sizes_mb'].get('base.duckdb')} MB, floor "
            f"{r['sizes_mb'].get('floor-base.duckdb')} MB; measured {r['at']}. "
            f"{r['days_note']}".rstrip()
        )
        lines.append(
            f"  - day {r['last_day']} (inflow, outflow, reopened, backlog): pipeline "
            f"{r['check'].get('pipeline')}, floor {r['check'].get('floor')}"
        )
        copy = next((row["readers_copy"] for row in r["rows"] if row.get("readers_copy")), None)
        if copy and copy["published"]:
            lines.append(
                f"  - readers' copy: {copy['size_gb']:.2f} GB in {copy['seconds']:.2f} s "
                f"({copy['seconds'] / max(copy['size_gb'], 1e-9):.2f} s/GB"
                + (", cloned)" if copy["cloned"] else ")")
            )
        plain = next((row for row in r["rows"] if row.get("steps")), None)
        if plain:
            steps = plain["steps"]["steps"]
            lines.append(
                "  - plain-Python steps (s): "
                + ", ".join(f"{k} {v:.2f}" for k, v in steps.items() if v)
            )
    lines += [
        "",
        "The daily run's exit code is 1 when the digest flags the day's data as failed "
        "(the flow ends failed after writing the digest); the work is done either way.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        commands = {
            "_generate": _generate,
            "_plain": _plain,
            "_floor": _floor,
            "_warm": _warm,
            "_copy": _copy,
        }
        commands[sys.argv[1]](*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), required=True)
    parser.add_argument(
        "--days",
        type=int,
        default=365,
        help="history length (365 unless time is short; said in the output)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.md")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="also take the results of another run's results .json "
        "(e.g. a long run written elsewhere with --out); newest per scale wins",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing; rewrite --out from the stored results",
    )
    parser.add_argument(
        "--floor-only", action="store_true", help="re-measure only the floor of a stored scale"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="skip cProfile on the plain-Python path"
    )
    args = parser.parse_args()
    ROOT.mkdir(parents=True, exist_ok=True)
    store = args.out.with_suffix(".json")
    results = json.loads(store.read_text()) if store.exists() else {}
    for other in args.merge:
        for scale, entry in json.loads(other.read_text()).items():
            if scale not in results or entry["at"] > results[scale]["at"]:
                results[scale] = entry
    if args.floor_only:
        entry = results[args.scale]
        exports = exports_for(args.scale, entry["days"])
        all_days = sorted(date.fromisoformat(p.name) for p in exports.iterdir() if p.is_dir())
        work = ROOT / f"{args.scale}-work-{entry['days']}d"
        results[args.scale] = (
            entry
            | finish(
                args.scale,
                entry["days"],
                exports,
                all_days[: entry["days"] - 1],
                all_days[entry["days"] - 1],
                work,
                entry["rows"],
                entry["check"].get("pipeline"),
            )
            | {"at": entry["at"]}
        )
    elif not args.render_only:
        results[args.scale] = bench(args.scale, args.days, not args.no_profile)
    store.write_text(json.dumps(results, indent=1, default=str))
    text = render(results, machine())
    args.out.write_text(text)
    largest = "large" if "large" in results else "small"
    (args.out.parent / "profile-measured.md").write_text(render_profile(results[largest]))
    print()
    print(text)


if __name__ == "__main__":
    main()
