"""The entry point of the demo generator: `generate_exports` writes a seeded team's exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from tasks.demo.codes import UNSOLVED
from tasks.demo.config import GeneratedHistory, SyntheticConfig
from tasks.demo.files import write_exports
from tasks.demo.frames import Frames
from tasks.demo.lives import Simulation
from tasks.demo.texts import SOLVE_REPLIES
from tasks.demo.truth import truth as make_truth

__all__ = ["SOLVE_REPLIES", "GeneratedHistory", "SyntheticConfig", "generate_exports"]


def generate_exports(root: Path, cfg: SyntheticConfig) -> GeneratedHistory:
    """Simulate a support team and write canonical daily exports under ``root``.

    Used by ``backlog demo``, the tests and the benchmarks. A seeded simulation of a support
    team (inflow with weekly seasonality, agents with limited capacity, customers who take
    their time) writes one folder per day, ``<root>/<YYYY-MM-DD>/tickets.<fmt>`` and
    ``events.<fmt>``, and returns the truth the exports were made from, so tests can check
    what the pipeline rebuilds.

    The export of day D is taken at the end of D in ``cfg.timezone``: ``tickets`` holds every
    ticket created or updated in D as it stood then (the first export also holds every ticket
    still unsolved from the 30 days before ``start``: the carried-over backlog); ``events``
    holds what happened in D.

    Args:
        root: Export root; one folder per day is created (files of the chosen format are
            overwritten, canonical files of other formats in those folders are removed).
        cfg: What to simulate.

    Returns:
        The truth the files were written from.
    """
    root = Path(root)
    sim = Simulation(cfg)
    created, driver = sim.base_arrivals()
    sim.run(sim.new_batch(created, driver))
    sim.spawn()
    writer = Frames(sim)  # the last step of the writer: Snapshots -> Labels -> Frames
    files, n_rows, n_events = write_exports(writer, root)
    truth = make_truth(writer)
    facts: pl.DataFrame = truth["facts"]  # type: ignore[assignment]
    comments: pl.DataFrame = truth["comments"]  # type: ignore[assignment]
    a = writer.a
    first_rows = writer.rows[writer.rows_day == 0]
    old = a["created"][writer.e["tix"][writer.k[first_rows]]] < writer.win[0]
    carried = len(writer.dump) + int(np.sum(old & np.isin(writer.k_status[first_rows], UNSOLVED)))
    counts = {
        "tickets": writer.nt,
        "tickets_in_window": int((a["created"] >= writer.win[0]).sum()),
        "ticket_rows": n_rows,
        "events": n_events,
        "reopens": int(truth["reopens"]),  # type: ignore[call-overload]
        "reopens_in_window": int(truth["reopens_in_window"]),  # type: ignore[call-overload]
        "deleted": int(facts["deleted"].sum()),
        "created_solved": int(a["created_solved"].sum()),
        "agent_created": int(a["agent_created"].sum()),
        "recontacts": int((a["spawn"] == 1).sum()),
        "followups": int((a["spawn"] == 2).sum()),
        "stale_tickets": int(truth["stale_tickets"]),  # type: ignore[call-overload]
        "carried_over": carried,
        "auto_acks": int(comments["auto_ack"].sum()),
    }
    return GeneratedHistory(
        days=list(writer.dates),
        tickets=writer.nt,
        timezone=cfg.timezone,
        window_start=datetime.fromtimestamp(int(writer.win[0]), tz=UTC),
        window_end=datetime.fromtimestamp(int(writer.win[-1]), tz=UTC),
        transitions_frame=truth["transitions"],  # type: ignore[arg-type]
        comments_frame=comments,
        ticket_facts=facts,
        daily=truth["daily"],  # type: ignore[arg-type]
        counts=counts,
        files=files,
        holiday=sim.holiday,
    )
