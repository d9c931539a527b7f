"""Each ticket's state at the end of every export day, derived from its events."""

from __future__ import annotations

import numpy as np
import polars as pl

from tasks.demo.codes import (
    F_AUTO_ACK,
    F_PHONE_NOTE,
    FIRST_TICKET_NUMBER,
    K_ASSIGN,
    K_COMMENT,
    K_PRIORITY,
    K_RATING,
    K_STATUS,
    K_TAG,
    N_VARIANTS,
    NEW,
    R_AGENT,
    SOLVED,
    UNSOLVED,
    WARMUP_DAYS,
)
from tasks.demo.columns import order
from tasks.demo.lives import Simulation


class Snapshots:
    """The simulated events in ticket order, and each ticket's state at every snapshot row."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.cfg = sim.cfg
        a = sim.attributes()
        self.a = a
        nt = len(a["created"])
        self.nt = nt
        by_created = np.lexsort((np.arange(nt), a["created"]))
        self.rank = np.empty(nt, np.int64)
        self.rank[by_created] = np.arange(nt)
        self.ticket_num = FIRST_TICKET_NUMBER + self.rank
        self.tid = pl.Series(self.ticket_num).cast(pl.String)
        e = sim.ev.collect()
        keep = np.flatnonzero(e["t"] < sim.horizon)
        self.t0 = int(sim.bounds[0])
        perm = keep[order(e["tix"][keep], e["t"][keep] - self.t0, e["ord"][keep])]
        self.e = {k: v[perm] for k, v in e.items()}
        del e, keep, perm
        self.win = sim.bounds[WARMUP_DAYS : WARMUP_DAYS + self.cfg.days + 1]
        self.dates = sim.dates[WARMUP_DAYS : WARMUP_DAYS + self.cfg.days]
        self.e["var"] = sim.rng.integers(0, N_VARIANTS**2, len(self.e["t"])).astype(np.int8)
        self._derive()

    def _derive(self) -> None:
        e, a = self.e, self.a
        n = len(e["t"])
        tix, kind, to = e["tix"], e["kind"], e["to"]
        idx = np.arange(n)
        newt = np.ones(n, bool)
        newt[1:] = tix[1:] != tix[:-1]
        seg = np.maximum.accumulate(np.where(newt, idx, 0)) if n else idx
        # export day of each event; warmup days collapse to -1
        e_day = np.searchsorted(self.win, e["t"], side="right") - 1
        e_day[e["t"] < self.win[0]] = -1
        nxt_same = np.r_[~newt[1:], False] if n else newt
        day_next = np.r_[e_day[1:], -2] if n else e_day
        # the last event of each (ticket, day): where the snapshot rows come from
        k = np.flatnonzero(~nxt_same | (day_next != e_day))
        self.k = k
        seg_k = seg[k]

        def state(valid: np.ndarray, values: np.ndarray, default: np.ndarray) -> np.ndarray:
            pos = np.maximum.accumulate(np.where(valid, idx, -1))[k] if n else k
            return np.where(pos >= seg_k, values[np.maximum(pos, 0)], default)

        st = kind == K_STATUS
        solve = st & (to == SOLVED)
        tk = tix[k]
        self.k_status = state(st, to, np.full(len(k), NEW)).astype(np.int8)
        self.k_solved = state(solve, e["t"], np.full(len(k), -1, np.int64))
        self.k_prio = state(kind == K_PRIORITY, to, a["prio0"][tk].astype(np.int32))
        self.k_assignee = state(kind == K_ASSIGN, to, np.full(len(k), -1, np.int32))
        self.k_tagged = state(kind == K_TAG, to, np.zeros(len(k), np.int32))
        self.k_rating = state(kind == K_RATING, to, np.full(len(k), -1, np.int32))
        self.k_day = e_day[k]
        # first reply: first public agent comment, the creation comment of phone tickets aside
        reply = (kind == K_COMMENT) & (e["role"] == R_AGENT) & (e["public"] == 1)
        reply &= e["fam"] != F_PHONE_NOTE
        self.first_reply = self._first_per_ticket(reply, newt)
        self.first_meaningful = self._first_per_ticket(reply & (e["fam"] != F_AUTO_ACK), newt)
        self.first_solve = self._first_per_ticket(solve, newt)
        self.last_solve = np.full(self.nt, -1, np.int64)
        si = np.flatnonzero(solve)
        self.last_solve[tix[si]] = e["t"][si]  # time order within a ticket: the last one wins
        last = np.flatnonzero(~nxt_same[k])  # positions in k of each ticket's last event
        self.final_status = np.full(self.nt, NEW, np.int8)
        self.final_status[tk[last]] = self.k_status[last]
        self.final_tagged = np.zeros(self.nt, np.int32)
        self.final_tagged[tk[last]] = self.k_tagged[last]
        # snapshot rows (positions in k), and the carried-over backlog for the first export
        self.rows = np.flatnonzero(self.k_day >= 0)
        self.rows_day = self.k_day[self.rows]
        self.dump = np.zeros(0, np.int64)
        if self.cfg.initial_snapshot:
            before = (self.k_day == -1) & ~(nxt_same[k] & (day_next[k] == 0))
            self.dump = np.flatnonzero(before & np.isin(self.k_status, UNSOLVED))

    def _first_per_ticket(self, mask: np.ndarray, newt: np.ndarray) -> np.ndarray:
        """Per ticket, the time of its first event where ``mask`` (events are ticket-ordered)."""
        out = np.full(self.nt, -1, np.int64)
        idx = np.flatnonzero(mask)
        if len(idx):
            tix = self.e["tix"][idx]
            first = np.r_[True, tix[1:] != tix[:-1]]
            out[tix[first]] = self.e["t"][idx[first]]
        return out

    # -- frames ----------------------------------------------------------------------------
