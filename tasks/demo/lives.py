"""Ticket lives: each ticket's status history and events, from creation to close."""

from __future__ import annotations

import numpy as np

from tasks.demo.codes import (
    A_BOT,
    A_REQUESTER,
    A_SYSTEM,
    ADDED_TAGS,
    AUTOSOLVE_AFTER,
    CH_API,
    CH_CHAT,
    CH_EMAIL,
    CH_PHONE,
    CH_WEB,
    CLOSE_AFTER,
    CLOSED,
    DAY,
    DELETED,
    DRIVERS,
    F_AUTO_ACK,
    F_CUSTOMER_LATE,
    F_CUSTOMER_REOPEN,
    F_CUSTOMER_REPLY,
    F_DESCRIPTION,
    F_INSTANT_SOLVE,
    F_NOTE_ESCALATE,
    F_NOTE_HOLD_DONE,
    F_NOTE_INTERNAL,
    F_NUDGE,
    F_PHONE_NOTE,
    F_REPLY_ASK,
    F_REPLY_ESCALATE,
    F_REPLY_SOLVE,
    F_REPLY_WORKING,
    F_SYSTEM_AUTOSOLVE,
    HOLD,
    HOUR,
    K_ASSIGN,
    K_COMMENT,
    K_PRIORITY,
    K_RATING,
    K_STATUS,
    K_TAG,
    MAX_ROUNDS,
    N_VARIANTS,
    NEW,
    OPEN,
    OUTCOMES,
    PENDING,
    PRODUCTS,
    R_AGENT,
    R_SYSTEM,
    R_USER,
    SOLVED,
    SPIKE_OUTCOME,
    TYPE_MIX,
)
from tasks.demo.config import SyntheticConfig
from tasks.demo.events import Batch, Events
from tasks.demo.team import Team


class Simulation(Team):
    """The simulation: the team's ticket batches and the events of their lives."""

    def __init__(self, cfg: SyntheticConfig) -> None:
        super().__init__(cfg)
        self.ev = Events()
        self.batches: list[Batch] = []

    # -- tickets ----------------------------------------------------------------------------

    def new_batch(
        self,
        created: np.ndarray,
        driver: np.ndarray,
        requester: np.ndarray | None = None,
        spawn: int = 0,
        parent: np.ndarray | None = None,
    ) -> Batch:
        """Draw a batch of tickets' attributes, emit their creation events and keep the batch."""
        rng = self.rng
        n = len(created)
        off = sum(b.n for b in self.batches)
        if requester is None:
            requester = rng.choice(self.n_requesters, n, p=self.req_p)
        channel = rng.choice(5, n, p=[0.38, 0.25, 0.17, 0.12, 0.08])
        if spawn:
            channel = rng.choice(5, n, p=[0.55, 0.3, 0.1, 0.05, 0.0])
        b = Batch(
            off=off,
            created=np.asarray(created, np.int64),
            requester=np.asarray(requester, np.int32),
            channel=channel.astype(np.int8),
            driver=np.asarray(driver, np.int16),
            spawn=np.full(n, spawn, np.int8),
            parent=np.full(n, -1, np.int32) if parent is None else parent.astype(np.int32),
        )
        b.tier = self.req_tier[b.requester]
        b.org = self.req_org[b.requester]
        nd = len(DRIVERS)
        d2 = rng.integers(0, nd, n)
        b.driver2 = np.where((rng.random(n) < 0.16) & (d2 != b.driver), d2, -1).astype(np.int16)
        vip = (b.tier <= 1) & (rng.random(n) < 0.45)
        other = rng.choice([1, 2, -1], n, p=[0.1, 0.05, 0.85])
        b.gtag = np.where(vip, 0, other).astype(np.int8)
        b.atag = np.where(rng.random(n) < 0.08, rng.integers(0, len(ADDED_TAGS), n), -1).astype(
            np.int8
        )
        urgent_drivers = np.isin(b.driver, [1, 2])
        base_p = rng.choice(4, n, p=[0.2, 0.56, 0.19, 0.05])
        bump = (urgent_drivers | (b.tier == 0)) & (rng.random(n) < 0.25)
        b.prio0 = np.minimum(base_p + bump, 3).astype(np.int8)
        change = rng.random(n) < 0.12
        step = np.where(urgent_drivers | (rng.random(n) < 0.5), 1, -1)
        b.prio1 = np.where(change, np.clip(b.prio0 + step, 0, 3), b.prio0).astype(np.int8)
        mix = np.asarray(TYPE_MIX + ((0.3, 0.6, 0.1, 0.0),) * (len(self.drivers) - nd))
        cum = mix.cumsum(axis=1)[b.driver]
        b.ttype = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 3).astype(np.int8)
        b.agent = rng.choice(self.n_agents, n, p=self.agent_w).astype(np.int16)
        phone = b.channel == CH_PHONE
        b.agent_created = phone & (rng.random(n) < 0.75)
        if not spawn:  # calls are taken in working hours
            moved = self.snap(b.created)
            b.created = np.where(b.agent_created & (moved < self.horizon), moved, b.created)
        b.created_solved = (b.agent_created & (rng.random(n) < 0.35)) | (
            (b.channel == CH_CHAT) & (rng.random(n) < 0.12)
        )
        b.deleted = (
            np.isin(b.channel, [CH_EMAIL, CH_WEB, CH_API]) & (rng.random(n) < 0.008) & (spawn == 0)
        )
        forgotten = (rng.random(n) < 0.015) & (b.prio0 <= 1) & ~b.agent_created
        b.extra_wait = np.where(forgotten, rng.integers(4 * DAY, 30 * DAY, n), 0).astype(np.int64)
        b.subj = rng.integers(0, N_VARIANTS, n).astype(np.int16)
        b.desc = rng.integers(0, 1 << 12, n).astype(np.int16)
        pii_p = [0.8, 0.07, 0.06, 0.04, 0.03]
        b.pii = rng.choice(5, n, p=pii_p).astype(np.int8)
        b.pii = np.where((b.pii == 4) & ~np.isin(b.driver, [0, 5]), 0, b.pii).astype(np.int8)
        b.num = rng.integers(10_000, 99_999, n).astype(np.int32)
        b.product = rng.integers(0, len(PRODUCTS), n).astype(np.int8)
        b.status = np.full(n, NEW, np.int8)
        b.t = b.created.copy()
        b.assignee = np.full(n, -1, np.int16)
        b.n_reopen = np.zeros(n, np.int8)
        b.n_cycles = np.zeros(n, np.int8)
        b.first_solve = np.full(n, -1, np.int64)
        b.first_touch = np.full(n, -1, np.int64)
        b.fast = np.zeros(n, bool)
        b.autosolved = np.zeros(n, bool)
        b.touched = np.zeros(n, bool)
        b.active = np.ones(n, bool)
        self.batches.append(b)
        self._create(b)
        return b

    def _create(self, b: Batch) -> None:
        """Creation events: status row, description, auto-acknowledgement, agent creation."""
        ev, rng = self.ev, self.rng
        g = b.off + np.arange(b.n)
        c = b.created
        ac, cs = b.agent_created, b.created_solved
        user = ~ac
        # status row at created_at
        init = np.where(ac & ~cs, OPEN, NEW)
        ev.add(
            g,
            c,
            K_STATUS,
            fr=-1,
            to=init,
            author=np.where(ac, b.agent, A_REQUESTER),
            role=np.where(ac, R_AGENT, R_USER),
        )
        # the requester's description is the first comment
        u = np.flatnonzero(user)
        ev.add(g[u], c[u], K_COMMENT, author=A_REQUESTER, role=R_USER, public=1, fam=F_DESCRIPTION)
        # agent-created (phone): assigned at creation, with a public agent comment
        a = np.flatnonzero(ac)
        ev.add(g[a], c[a], K_ASSIGN, fr=-1, to=b.agent[a], author=b.agent[a], role=R_AGENT)
        ev.add(g[a], c[a], K_COMMENT, author=b.agent[a], role=R_AGENT, public=1, fam=F_PHONE_NOTE)
        # created solved: resolved in the call or the chat, at created_at
        s = np.flatnonzero(cs)
        s_user = s[~ac[s]]
        ev.add(
            g[s_user],
            c[s_user],
            K_ASSIGN,
            fr=-1,
            to=b.agent[s_user],
            author=b.agent[s_user],
            role=R_AGENT,
        )
        ev.add(
            g[s_user],
            c[s_user],
            K_COMMENT,
            author=b.agent[s_user],
            role=R_AGENT,
            public=1,
            fam=F_INSTANT_SOLVE,
        )
        ev.add(g[s], c[s], K_STATUS, fr=NEW, to=SOLVED, author=b.agent[s], role=R_AGENT)
        # trigger: auto-acknowledgement for email and web requests
        k = np.flatnonzero(user & ~cs & np.isin(b.channel, [CH_EMAIL, CH_WEB]))
        ev.add(
            g[k],
            c[k] + rng.integers(3, 45, len(k)),
            K_COMMENT,
            author=A_BOT,
            role=R_AGENT,
            public=1,
            fam=F_AUTO_ACK,
        )
        b.assignee = np.where(ac | cs, b.agent, -1).astype(np.int16)
        b.touched = ac.copy()
        b.status = np.where(cs, SOLVED, init).astype(np.int8)
        b.first_solve = np.where(cs, c, -1)
        b.fast = ac & ~cs  # the agent who took the call follows up soon

    # -- lifecycle --------------------------------------------------------------------------

    def run(self, b: Batch) -> None:
        """Play the batch's lives round by round until none is active before the horizon."""
        for _ in range(MAX_ROUNDS):
            b.active &= b.t < self.horizon
            if not b.active.any():
                break
            st = b.status
            groups = [
                (np.flatnonzero(b.active & (st == NEW) & ~b.touched), self._first_touch),
                (
                    np.flatnonzero(b.active & ((st == OPEN) | ((st == NEW) & b.touched))),
                    self._agent_turn,
                ),
                (np.flatnonzero(b.active & (st == PENDING)), self._pending),
                (np.flatnonzero(b.active & (st == HOLD)), self._hold),
                (np.flatnonzero(b.active & (st == SOLVED)), self._solved),
            ]
            for idx, handler in groups:
                if len(idx):
                    handler(b, idx)

    def _first_touch(self, b: Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        dele = idx[b.deleted[idx]]
        if len(dele):
            td = self.snap(b.created[dele] + rng.integers(600, 8 * HOUR, len(dele)))
            ev.add(
                b.off + dele, td, K_STATUS, fr=NEW, to=DELETED, author=b.agent[dele], role=R_AGENT
            )
            b.status[dele] = DELETED
            b.t[dele] = td
            b.active[dele] = False
        w = idx[~b.deleted[idx]]
        if not len(w):
            return
        g = b.off + w
        t0 = self.agent_time(b, w, b.t[w] + b.extra_wait[w])
        b.first_touch[w] = t0
        b.touched[w] = True
        b.assignee[w] = b.agent[w]
        ev.add(g, t0, K_ASSIGN, fr=-1, to=b.agent[w], author=b.agent[w], role=R_AGENT)
        pc = b.prio1[w] != b.prio0[w]
        ev.add(
            g[pc],
            t0[pc] + 1,
            K_PRIORITY,
            fr=b.prio0[w][pc],
            to=b.prio1[w][pc],
            author=b.agent[w][pc],
            role=R_AGENT,
        )
        tc = b.atag[w] >= 0
        ev.add(g[tc], t0[tc] + 2, K_TAG, fr=0, to=1, author=b.agent[w][tc], role=R_AGENT)
        self._act(b, w, t0 + rng.integers(120, 900, len(w)))

    def _agent_turn(self, b: Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        t0 = self.agent_time(b, idx, b.t[idx])
        hand = (rng.random(n) < 0.07) & (self.n_agents > 1)
        new_agent = (b.assignee[idx] + rng.integers(1, max(2, self.n_agents), n)) % self.n_agents
        h = np.flatnonzero(hand)
        ev.add(
            g[h],
            t0[h],
            K_ASSIGN,
            fr=b.assignee[idx][h],
            to=new_agent[h],
            author=new_agent[h],
            role=R_AGENT,
        )
        b.assignee[idx[h]] = new_agent[h]
        note = np.flatnonzero(rng.random(n) < 0.07)
        ev.add(
            g[note],
            t0[note] + 1,
            K_COMMENT,
            author=b.assignee[idx][note],
            role=R_AGENT,
            public=0,
            fam=F_NOTE_INTERNAL,
        )
        self._act(b, idx, t0 + rng.integers(60, 900, n))

    def _act(self, b: Batch, idx: np.ndarray, tc: np.ndarray) -> None:
        """An agent replies and sets the next status: solved, pending, hold or still open."""
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        table = np.asarray(OUTCOMES + (SPIKE_OUTCOME,) * (len(self.drivers) - len(DRIVERS)))
        p = table[b.driver[idx]]
        later = b.n_cycles[idx] > 0
        ps = np.where(later, np.minimum(p[:, 0] + 0.25, 0.9), p[:, 0])
        pp = np.where(later, p[:, 1] * 0.6, p[:, 1])
        ph = np.where(later, p[:, 2] * 0.3, p[:, 2])
        tired = b.n_cycles[idx] >= 4
        ps = np.where(tired, 0.9, ps)
        pp = np.where(tired, 0.08, pp)
        ph = np.where(tired, 0.0, ph)
        u = rng.random(n)
        outcome = np.select([u < ps, u < ps + pp, u < ps + pp + ph], [0, 1, 2], default=3)
        fam = np.asarray([F_REPLY_SOLVE, F_REPLY_ASK, F_REPLY_ESCALATE, F_REPLY_WORKING])[outcome]
        agent = b.assignee[idx]
        ev.add(g, tc, K_COMMENT, author=agent, role=R_AGENT, public=1, fam=fam)
        hold = outcome == 2
        ev.add(
            g[hold],
            tc[hold] + 1,
            K_COMMENT,
            author=agent[hold],
            role=R_AGENT,
            public=0,
            fam=F_NOTE_ESCALATE,
        )
        new = np.asarray([SOLVED, PENDING, HOLD, OPEN], np.int8)[outcome]
        ts = tc + 1 + hold
        cur = b.status[idx]
        ch = new != cur
        ev.add(g[ch], ts[ch], K_STATUS, fr=cur[ch], to=new[ch], author=agent[ch], role=R_AGENT)
        b.status[idx] = new
        still_open = outcome == 3
        b.t[idx] = np.where(still_open, tc + rng.integers(2 * HOUR, 30 * HOUR, n), ts)
        b.fast[idx] = still_open
        b.n_cycles[idx] = np.minimum(b.n_cycles[idx] + 1, 100)
        solved = (outcome == 0) & (b.first_solve[idx] < 0)
        b.first_solve[idx[solved]] = ts[solved]

    def _pending(self, b: Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        e = b.t[idx]
        agent = b.assignee[idx]
        p_reply = np.where(b.n_cycles[idx] <= 2, 0.86, 0.7)
        reply = rng.random(n) < p_reply
        delay = np.clip(rng.lognormal(np.log(14 * HOUR), 1.0, n), 300, 20 * DAY).astype(np.int64)
        enterprise = b.tier[idx] == 0
        autosolve = ~reply & ~enterprise & (rng.random(n) < 0.95)
        late = ~reply & ~autosolve
        r = np.where(reply, e + delay, e + rng.integers(8 * DAY, 30 * DAY, n))
        s = e + AUTOSOLVE_AFTER + rng.integers(0, HOUR, n)
        end = np.where(autosolve, s, r)
        nudge_t = self.snap(e + rng.integers(3 * DAY, 4 * DAY, n))
        nudge = (nudge_t < end - 60) & (rng.random(n) < np.where(reply, 0.5, 0.65))
        ev.add(
            g[nudge],
            nudge_t[nudge],
            K_COMMENT,
            author=agent[nudge],
            role=R_AGENT,
            public=1,
            fam=F_NUDGE,
        )
        back = np.flatnonzero(~autosolve)
        ev.add(
            g[back],
            r[back],
            K_COMMENT,
            author=A_REQUESTER,
            role=R_USER,
            public=1,
            fam=np.where(late[back], F_CUSTOMER_LATE, F_CUSTOMER_REPLY),
        )
        ev.add(g[back], r[back] + 1, K_STATUS, fr=PENDING, to=OPEN, author=A_REQUESTER, role=R_USER)
        a = np.flatnonzero(autosolve)
        ev.add(
            g[a], s[a], K_COMMENT, author=A_SYSTEM, role=R_SYSTEM, public=1, fam=F_SYSTEM_AUTOSOLVE
        )
        ev.add(g[a], s[a] + 1, K_STATUS, fr=PENDING, to=SOLVED, author=A_SYSTEM, role=R_SYSTEM)
        b.status[idx] = np.where(autosolve, SOLVED, OPEN)
        b.t[idx] = end + 1
        b.fast[idx] = False
        b.autosolved[idx] = autosolve
        first = autosolve & (b.first_solve[idx] < 0)
        b.first_solve[idx[first]] = s[first] + 1

    def _hold(self, b: Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        g = b.off + idx
        h = self.snap(b.t[idx] + rng.integers(DAY // 2, 6 * DAY, len(idx)))
        agent = b.assignee[idx]
        ev.add(g, h, K_COMMENT, author=agent, role=R_AGENT, public=0, fam=F_NOTE_HOLD_DONE)
        ev.add(g, h + 1, K_STATUS, fr=HOLD, to=OPEN, author=agent, role=R_AGENT)
        b.status[idx] = OPEN
        b.t[idx] = h + 1
        b.fast[idx] = True

    def _solved(self, b: Batch, idx: np.ndarray) -> None:
        ev, rng = self.ev, self.rng
        n = len(idx)
        g = b.off + idx
        s = b.t[idx]
        p = np.where(b.n_reopen[idx] == 0, 0.11, 0.05)
        p = np.where(b.autosolved[idx], 0.04, p)
        p = np.where(b.n_reopen[idx] >= 2, 0.0, p)
        reopen = rng.random(n) < p
        late = reopen & (rng.random(n) < 0.25)
        early = reopen & ~late
        close_t = s + CLOSE_AFTER + rng.integers(0, HOUR, n)
        closes = ~early
        c = np.flatnonzero(closes)
        ev.add(g[c], close_t[c], K_STATUS, fr=SOLVED, to=CLOSED, author=A_SYSTEM, role=R_SYSTEM)
        r = np.where(
            early,
            s + np.clip(rng.lognormal(np.log(20 * HOUR), 1.0, n), 600, 3.8 * DAY).astype(np.int64),
            s + rng.integers(8 * DAY, 25 * DAY, n),
        )
        o = np.flatnonzero(reopen)
        ev.add(
            g[o],
            r[o],
            K_COMMENT,
            author=A_REQUESTER,
            role=R_USER,
            public=1,
            fam=np.where(late[o], F_CUSTOMER_LATE, F_CUSTOMER_REOPEN),
        )
        ev.add(
            g[o],
            r[o] + 1,
            K_STATUS,
            fr=np.where(late[o], CLOSED, SOLVED),
            to=OPEN,
            author=A_REQUESTER,
            role=R_USER,
        )
        # satisfaction survey on the final solve
        rate = ~reopen & (rng.random(n) < np.where(b.autosolved[idx], 0.1, 0.38))
        good = rng.random(n) < np.where(b.n_reopen[idx] > 0, 0.6, 0.82)
        rt = s + rng.integers(HOUR // 2, 3 * DAY, n)
        k = np.flatnonzero(rate)
        ev.add(g[k], rt[k], K_RATING, to=good[k].astype(np.int32), role=R_USER)
        b.status[idx] = np.where(reopen, OPEN, CLOSED)
        b.t[idx] = np.where(reopen, r + 1, close_t)
        b.active[idx] = reopen
        b.n_reopen[idx] += reopen
        b.fast[idx] = False
        b.autosolved[idx] = False

    def spawn(self) -> None:
        """Second batch: recontacts after a solve and "any update?" follow-ups."""
        rng = self.rng
        b = self.batches[0]
        n = b.n
        has_solve = (b.first_solve >= 0) & ~b.deleted
        recon = has_solve & (rng.random(n) < 0.07)
        rc_t = b.first_solve + rng.integers(600, 7 * DAY + 1, n)
        waited = (b.first_touch >= 0) & (b.first_touch - b.created > 30 * HOUR)
        fol = waited & (rng.random(n) < 0.25)
        lo = b.created + 24 * HOUR
        hi = np.minimum(b.created + 72 * HOUR, b.first_touch - 600)
        fol &= hi > lo
        fu_t = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
        r = np.flatnonzero(recon & (rc_t < self.horizon))
        f = np.flatnonzero(fol & (fu_t < self.horizon))
        same = rng.random(len(r)) < 0.7
        rc_driver = np.where(same, b.driver[r], rng.integers(0, len(DRIVERS), len(r)))
        created = np.concatenate([rc_t[r], fu_t[f]])
        if not len(created):
            return
        nb = self.new_batch(
            created,
            np.concatenate([rc_driver, b.driver[f]]).astype(np.int16),
            requester=np.concatenate([b.requester[r], b.requester[f]]),
            spawn=1,
            parent=np.concatenate([r, f]).astype(np.int32) + b.off,
        )
        nb.spawn[len(r) :] = 2
        self.run(nb)

    # -- assembling -------------------------------------------------------------------------

    def attributes(self) -> dict[str, np.ndarray]:
        """Every batch's ticket attributes, concatenated in batch order."""
        names = (
            "created",
            "requester",
            "channel",
            "driver",
            "spawn",
            "parent",
            "tier",
            "org",
            "driver2",
            "gtag",
            "atag",
            "prio0",
            "prio1",
            "ttype",
            "agent",
            "agent_created",
            "created_solved",
            "deleted",
            "subj",
            "desc",
            "pii",
            "num",
            "product",
            "status",
        )
        return {k: np.concatenate([getattr(b, k) for b in self.batches]) for k in names}
