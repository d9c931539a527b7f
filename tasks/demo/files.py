"""The export files: one folder per day with tickets and events in csv, jsonl or parquet."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from tasks.demo.codes import CHUNK_ROWS, FIRST_EVENT_NUMBER, K_RATING
from tasks.demo.columns import order
from tasks.demo.frames import Frames


def write_file(df: pl.DataFrame, path: Path, fmt: str) -> None:
    """Write one export file in ``fmt``."""
    if fmt == "csv":
        df.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S%:z")
    elif fmt == "jsonl":
        df.write_ndjson(path)
    else:
        df.write_parquet(path)


def write_exports(w: Frames, root: Path) -> tuple[list[Path], int, int]:
    """Write one folder per export day under ``root``; the files, ticket rows and events."""
    cfg, e = w.cfg, w.e
    files: list[Path] = []
    # ticket rows per day: ordered by updated_at, then ticket number
    rows = np.concatenate([w.rows, w.dump])
    rday = np.concatenate([w.rows_day, np.zeros(len(w.dump), np.int64)])
    ev = w.k[rows]
    rows = rows[order(rday, e["t"][ev] - w.t0, w.rank[e["tix"][ev]])]
    rday = w.k_day[rows].clip(0)
    rcut = np.searchsorted(rday, np.arange(cfg.days + 1))
    # events: exported kinds in time order; ids follow that order
    ex = np.flatnonzero(e["kind"] != K_RATING)
    eo = ex[order(e["t"][ex] - w.t0, w.rank[e["tix"][ex]], e["ord"][ex])]
    enum = FIRST_EVENT_NUMBER + np.arange(len(eo))
    ecut = np.searchsorted(e["t"][eo], w.win, side="left")
    for d in w.dates:
        folder = root / d.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("tickets", "events"):
            for ext in ("csv", "jsonl", "parquet"):
                p = folder / f"{name}.{ext}"
                wanted = ext == cfg.fmt and (name == "tickets" or cfg.with_events)
                if not wanted and p.exists():
                    p.unlink()
    # frames are built for chunks of days at once, sliced per day, and written by a
    # worker thread while the next chunk is built
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: list[Future[None]] = []
        first = 0
        while first < cfg.days:
            last = first + 1
            while last < cfg.days and (
                rcut[last + 1] - rcut[first] + ecut[last + 1] - ecut[first] < CHUNK_ROWS
            ):
                last += 1
            tickets = w.ticket_frame(rows[rcut[first] : rcut[last]])
            events = None
            if cfg.with_events:
                span = slice(ecut[first], ecut[last])
                events = w.event_frame(eo[span], enum[span])
            for f in pending:
                f.result()
            pending = []
            for i in range(first, last):
                folder = root / w.dates[i].isoformat()
                path = folder / f"tickets.{cfg.fmt}"
                part = tickets.slice(rcut[i] - rcut[first], rcut[i + 1] - rcut[i])
                pending.append(pool.submit(write_file, part, path, cfg.fmt))
                files.append(path)
                if events is not None:
                    path = folder / f"events.{cfg.fmt}"
                    part = events.slice(ecut[i] - ecut[first], ecut[i + 1] - ecut[i])
                    pending.append(pool.submit(write_file, part, path, cfg.fmt))
                    files.append(path)
            first = last
        for f in pending:
            f.result()
    n_ticket_rows = int(rcut[cfg.days] - rcut[0])
    n_events = int(ecut[cfg.days] - ecut[0]) if cfg.with_events else 0
    return files, n_ticket_rows, n_events


# -- truth ----------------------------------------------------------------------------------
