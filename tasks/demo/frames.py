"""The export rows: ticket snapshots and events as frames in the canonical columns."""

from __future__ import annotations

import numpy as np
import polars as pl

from tasks.demo.codes import (
    CHANNELS,
    F_DESCRIPTION,
    F_PHONE_NOTE,
    GROUPS,
    K_ASSIGN,
    K_COMMENT,
    K_PRIORITY,
    K_STATUS,
    K_TAG,
    KINDS,
    PRIORITIES,
    ROLES,
    SATISFACTION,
    STATUSES,
    TIERS,
    TYPES,
)
from tasks.demo.columns import lookup
from tasks.demo.labels import Labels


class Frames(Labels):
    """Labelled snapshots that build the ticket and event rows of the export files."""

    def _ts(self, col: str) -> pl.Expr:
        return (
            pl.when(pl.col(col) >= 0)
            .then(pl.from_epoch(pl.col(col), time_unit="s"))
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(self.cfg.timezone)
            .alias(col)
        )

    def ticket_frame(self, rows: np.ndarray) -> pl.DataFrame:
        """Ticket rows as they stood after the snapshot events at positions ``rows`` of k."""
        a = self.a
        ev = self.k[rows]
        ti = self.e["tix"][ev].astype(np.int64)
        t = self.e["t"][ev]
        solved = self.k_solved[rows]
        fr = self.first_reply[ti]
        fr = np.where((fr >= 0) & (fr <= t), fr, -1)
        rating = self.k_rating[rows]
        sat = np.where(rating >= 0, rating, np.where(solved >= 0, 2, 3))
        df = pl.DataFrame(
            {
                "ticket_id": self.tid.gather(ti),
                "created_at": a["created"][ti],
                "updated_at": t,
                "status": lookup(STATUSES, self.k_status[rows].astype(np.int64)),
                "requester_id": self.req_id.gather(a["requester"][ti]),
                "priority": lookup(PRIORITIES, self.k_prio[rows].astype(np.int64)),
                "type": lookup(TYPES, a["ttype"][ti].astype(np.int64)),
                "channel": lookup(CHANNELS, a["channel"][ti].astype(np.int64)),
                "group_name": lookup(
                    [*GROUPS, *(["Tier 1"] * (len(self.sim.drivers) - len(GROUPS)))],
                    a["driver"][ti].astype(np.int64),
                ),
                "assignee_id": lookup(self.agent_id, self.k_assignee[rows].astype(np.int64)),
                "organization_id": lookup(self.org_id, a["org"][ti].astype(np.int64)),
                "customer_tier": lookup(TIERS, a["tier"][ti].astype(np.int64)),
                "subject": self.subject_s.gather(ti),
                "description": self.description_s.gather(ti),
                "tags": self.tags(ti, self.k_tagged[rows], as_list=self.cfg.fmt != "csv"),
                "solved_at": solved,
                "first_reply_at": fr,
                "satisfaction": lookup(SATISFACTION, sat.astype(np.int64)),
            }
        )
        return df.with_columns(
            self._ts(c) for c in ("created_at", "updated_at", "solved_at", "first_reply_at")
        )

    def event_frame(self, idx: np.ndarray, event_num: np.ndarray) -> pl.DataFrame:
        """Event rows for the (time-ordered) event indices ``idx``."""
        e = self.e
        n = len(idx)
        ti = e["tix"][idx].astype(np.int64)
        kind = e["kind"][idx].astype(np.int64)
        fam = e["fam"][idx].astype(np.int64)
        public = e["public"][idx]
        none = len(self.value_table) - 1
        n_status, n_prio = len(STATUSES), len(PRIORITIES)

        def values(code: np.ndarray) -> pl.Series:
            code = code.astype(np.int64)
            out = np.select(
                [
                    (kind == K_STATUS) & (code >= 0),
                    kind == K_PRIORITY,
                    (kind == K_ASSIGN) & (code >= 0),
                ],
                [code, n_status + code, n_status + n_prio + code],
                default=none,
            )
            return self.value_table.gather(out)

        from_value, to_value = values(e["fr"][idx]), values(e["to"][idx])
        tg = np.flatnonzero(kind == K_TAG)
        if len(tg):
            zeros, ones = np.zeros(len(tg), np.int32), np.ones(len(tg), np.int32)
            from_value = from_value.scatter(tg, self.tags(ti[tg], zeros, as_list=False))
            to_value = to_value.scatter(tg, self.tags(ti[tg], ones, as_list=False))
        body = pl.repeat(None, n, dtype=pl.String, eager=True)
        is_comment = kind == K_COMMENT
        first = np.isin(fam, [F_DESCRIPTION, F_PHONE_NOTE])
        cm = np.flatnonzero(is_comment & ~first)
        if len(cm):
            body = body.scatter(cm, self.comment_bodies(idx[cm]))
        ds = np.flatnonzero(is_comment & first)
        if len(ds):
            body = body.scatter(ds, self.description_s.gather(ti[ds]))
        author = e["author"][idx].astype(np.int64)
        out = pl.DataFrame(
            {
                "event_id": pl.Series(event_num).cast(pl.String),
                "ticket_id": self.tid.gather(ti),
                "occurred_at": e["t"][idx],
                "kind": lookup(KINDS, kind),
                "from_value": from_value,
                "to_value": to_value,
                "author_id": self.author_table.gather(self.author_codes(author, ti)),
                "author_role": lookup(ROLES, e["role"][idx].astype(np.int64)),
                "public": pl.Series(public == 1).zip_with(
                    pl.Series(public >= 0), pl.repeat(None, n, dtype=pl.Boolean, eager=True)
                ),
                "body": body,
            }
        )
        return out.with_columns(self._ts("occurred_at"))
