"""The simulation's state: a columnar buffer of events and the state of a batch of tickets."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tasks.demo.codes import A_REQUESTER, R_USER


class Events:
    """Append-only columnar buffer of simulated events."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {
            k: []
            for k in ("tix", "t", "ord", "kind", "fr", "to", "author", "role", "public", "fam")
        }
        self.calls = 0

    def add(
        self,
        tix: np.ndarray,
        t: np.ndarray,
        kind: int,
        *,
        fr: np.ndarray | int = -1,
        to: np.ndarray | int = -1,
        author: np.ndarray | int = A_REQUESTER,
        role: np.ndarray | int = R_USER,
        public: np.ndarray | int = -1,
        fam: np.ndarray | int = -1,
    ) -> None:
        """Append events of one kind for tickets ``tix`` at instants ``t`` (scalars broadcast)."""
        n = len(tix)
        if n == 0:
            return
        p = self.parts
        p["tix"].append(np.asarray(tix, dtype=np.int32))
        p["t"].append(np.asarray(t, dtype=np.int64))
        p["ord"].append(np.full(n, self.calls, dtype=np.int32))
        self.calls += 1
        for name, value, dtype in (
            ("kind", kind, np.int8),
            ("fr", fr, np.int32),
            ("to", to, np.int32),
            ("author", author, np.int32),
            ("role", role, np.int8),
            ("public", public, np.int8),
            ("fam", fam, np.int8),
        ):
            p[name].append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy())

    def collect(self) -> dict[str, np.ndarray]:
        """All events as columns; the buffer is emptied."""
        out = {}
        for k in list(self.parts):
            out[k] = np.concatenate(self.parts[k])
            self.parts[k] = []
        return out


@dataclass
class Batch:
    """Attributes and simulation state of a batch of tickets (global index = off + local)."""

    off: int
    created: np.ndarray
    requester: np.ndarray
    channel: np.ndarray
    driver: np.ndarray
    spawn: np.ndarray  # 0 base, 1 recontact, 2 follow-up
    parent: np.ndarray
    tier: np.ndarray = field(init=False)
    org: np.ndarray = field(init=False)
    driver2: np.ndarray = field(init=False)
    gtag: np.ndarray = field(init=False)
    atag: np.ndarray = field(init=False)
    prio0: np.ndarray = field(init=False)
    prio1: np.ndarray = field(init=False)
    ttype: np.ndarray = field(init=False)
    agent: np.ndarray = field(init=False)
    agent_created: np.ndarray = field(init=False)
    created_solved: np.ndarray = field(init=False)
    deleted: np.ndarray = field(init=False)
    extra_wait: np.ndarray = field(init=False)
    subj: np.ndarray = field(init=False)
    desc: np.ndarray = field(init=False)
    pii: np.ndarray = field(init=False)
    num: np.ndarray = field(init=False)
    product: np.ndarray = field(init=False)
    # state
    status: np.ndarray = field(init=False)
    t: np.ndarray = field(init=False)
    assignee: np.ndarray = field(init=False)
    n_reopen: np.ndarray = field(init=False)
    n_cycles: np.ndarray = field(init=False)
    first_solve: np.ndarray = field(init=False)
    first_touch: np.ndarray = field(init=False)
    fast: np.ndarray = field(init=False)
    autosolved: np.ndarray = field(init=False)
    touched: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)

    @property
    def n(self) -> int:
        """The number of tickets in the batch."""
        return len(self.created)
