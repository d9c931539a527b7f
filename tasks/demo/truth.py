"""The truth behind the exports: status transitions, comments, ticket facts and the daily flow."""

from __future__ import annotations

import numpy as np
import polars as pl

from tasks.demo.codes import (
    CHANNELS,
    CLOSED,
    DAY,
    DELETED,
    F_AUTO_ACK,
    F_DESCRIPTION,
    F_PHONE_NOTE,
    K_COMMENT,
    K_STATUS,
    PENDING,
    PRIORITIES,
    R_USER,
    ROLES,
    SOLVED,
    STALE_AFTER,
    STATUSES,
    TIERS,
    UNSOLVED,
    WARMUP_DAYS,
)
from tasks.demo.columns import lookup, order
from tasks.demo.frames import Frames


def utc(secs: np.ndarray) -> pl.Series:
    """Epoch seconds as aware UTC datetimes, null where negative."""
    s = pl.Series(secs.astype(np.int64))
    return pl.select(
        pl.when(s >= 0).then(pl.from_epoch(s, time_unit="s")).dt.replace_time_zone("UTC")
    ).to_series()


def truth(w: Frames) -> dict[str, object]:
    """What the exports were made from: transitions, comments, ticket facts, the daily flow."""
    e, a = w.e, w.a
    nt = w.nt
    tix = e["tix"]
    st = np.flatnonzero(e["kind"] == K_STATUS)
    by_time = st[order(e["t"][st] - w.t0, w.rank[tix[st]], e["ord"][st])]
    transitions = pl.DataFrame(
        {
            "ticket_id": w.tid.gather(tix[by_time]),
            "at": utc(e["t"][by_time]),
            "from_status": lookup(STATUSES, e["fr"][by_time].astype(np.int64)),
            "to_status": lookup(STATUSES, e["to"][by_time].astype(np.int64)),
        }
    )
    cm = np.flatnonzero(e["kind"] == K_COMMENT)
    cm = cm[order(e["t"][cm] - w.t0, w.rank[tix[cm]], e["ord"][cm])]
    author = e["author"][cm].astype(np.int64)
    comments = pl.DataFrame(
        {
            "ticket_id": w.tid.gather(tix[cm]),
            "at": utc(e["t"][cm]),
            "author_id": w.author_table.gather(w.author_codes(author, tix[cm].astype(np.int64))),
            "author_role": lookup(ROLES, e["role"][cm].astype(np.int64)),
            "public": e["public"][cm] == 1,
            "auto_ack": e["fam"][cm] == F_AUTO_ACK,
            "creation_comment": np.isin(e["fam"][cm], [F_PHONE_NOTE, F_DESCRIPTION]),
        }
    )
    fr, to = e["fr"][st], e["to"][st]
    reopen = np.isin(fr, [SOLVED, CLOSED]) & np.isin(to, UNSOLVED)
    n_reopen = np.bincount(tix[st][reopen], minlength=nt)
    parent = a["parent"]
    by_id = np.argsort(w.rank)
    facts = pl.DataFrame(
        {
            "ticket_id": w.tid,
            "created_at": utc(a["created"]),
            "requester_id": w.req_id.gather(a["requester"]),
            "channel": lookup(CHANNELS, a["channel"].astype(np.int64)),
            "priority": lookup(PRIORITIES, a["prio1"].astype(np.int64)),
            "customer_tier": lookup(TIERS, a["tier"].astype(np.int64)),
            "driver": lookup(w.sim.drivers, a["driver"].astype(np.int64)),
            "tags": w.tags(np.arange(nt), w.final_tagged, as_list=True),
            "agent_created": a["agent_created"],
            "created_solved": a["created_solved"],
            "deleted": w.final_status == DELETED,
            "spawn": lookup(["recontact", "followup"], a["spawn"].astype(np.int64) - 1),
            "parent_ticket_id": pl.concat([w.tid, pl.Series([None], dtype=pl.String)]).gather(
                np.where(parent < 0, nt, parent)
            ),
            "first_reply_at": utc(w.first_reply),
            "first_meaningful_reply_at": utc(w.first_meaningful),
            "first_solved_at": utc(w.first_solve),
            "last_solved_at": utc(w.last_solve),
            "status": lookup(STATUSES, w.final_status.astype(np.int64)),
            "reopens": n_reopen,
        }
    )[by_id]
    daily, stale_tickets = daily_flow(w, st)
    return {
        "transitions": transitions,
        "comments": comments,
        "facts": facts,
        "daily": daily,
        "reopens_in_window": int((reopen & (e["t"][st] >= w.win[0])).sum()),
        "reopens": int(reopen.sum()),
        "stale_tickets": stale_tickets,
    }


def daily_flow(w: Frames, st: np.ndarray) -> tuple[pl.DataFrame, int]:
    """The daily flow (docs/metrics.md) from the truth, deleted tickets left out."""
    e = w.e
    sim = w.sim
    nd = w.cfg.days
    keep_ticket = w.final_status != DELETED
    st = st[keep_ticket[e["tix"][st]]]
    t = e["t"][st]
    fr = e["fr"][st]
    to = e["to"][st]
    day = np.searchsorted(sim.bounds, t, side="right") - 1  # simulation day
    nsd = sim.n_sim
    uns = np.zeros(8, bool)
    uns[list(UNSOLVED)] = True
    from_uns = np.where(fr >= 0, uns[np.maximum(fr, 0)], False)
    to_uns = uns[to]
    inflow = np.bincount(day[fr < 0], minlength=nsd)
    outflow = np.bincount(day[from_uns & ~to_uns], minlength=nsd)
    reopened = np.bincount(day[(fr >= 0) & ~from_uns & to_uns], minlength=nsd)
    by_status = {}
    for s in UNSOLVED:
        delta = np.bincount(day[to == s], minlength=nsd) - np.bincount(day[fr == s], minlength=nsd)
        by_status[STATUSES[s]] = np.cumsum(delta)[WARMUP_DAYS:nsd]
    backlog = sum(by_status.values())
    # stale: pending entered >= 5 days before the end of D, no end-user event since
    user = np.flatnonzero(np.isin(e["kind"], [K_COMMENT, K_STATUS]) & (e["role"] == R_USER))
    never = np.iinfo(np.int64).max // 4
    span = np.int64(1) << 34
    base = int(sim.bounds[0]) - DAY
    ukey = e["tix"][user].astype(np.int64) * span + (e["t"][user] - base)
    pend = np.flatnonzero(to == PENDING)
    ptix = e["tix"][st[pend]].astype(np.int64)
    # the next status transition of the same ticket (st is ticket/time ordered)
    nxt = np.minimum(pend + 1, len(st) - 1)
    has_next = (pend + 1 < len(st)) & (e["tix"][st[nxt]] == ptix)
    x = np.where(has_next, t[nxt], never)
    # the first end-user event after the entry into pending
    pkey = ptix * span + (t[pend] - base)
    j = np.searchsorted(ukey, pkey, side="right")
    if len(ukey):
        jj = np.minimum(j, len(ukey) - 1)
        same = (j < len(ukey)) & (ukey[jj] // span == ptix)
        u = np.where(same, ukey[jj] % span + base, never)
    else:
        u = np.full(len(pkey), never)
    until = np.minimum(x, u)
    ends = w.win[1:]
    lo = np.searchsorted(ends, t[pend] + STALE_AFTER, side="left")
    hi = np.searchsorted(ends, until, side="right")
    stale = np.zeros(nd + 1, np.int64)
    valid = hi > lo
    np.add.at(stale, lo[valid], 1)
    np.add.at(stale, hi[valid], -1)
    stale_daily = np.cumsum(stale)[:nd]
    stale_tickets = len(np.unique(ptix[valid]))
    window = slice(WARMUP_DAYS, nsd)
    daily = pl.DataFrame(
        {
            "date": w.dates,
            "inflow": inflow[window],
            "outflow": outflow[window],
            "reopened": reopened[window],
            "backlog": backlog,
            **{f"backlog_{k}": v for k, v in by_status.items()},
            "stale": stale_daily,
            "agents_available": sim.avail[window].astype(np.int64),
        }
    )
    return daily, stale_tickets
