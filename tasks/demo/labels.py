"""Requesters, agents and texts: the names and words the exported rows carry."""

from __future__ import annotations

import numpy as np
import polars as pl

from tasks.demo.codes import (
    A_BOT,
    A_SYSTEM,
    ADDED_TAGS,
    AGENT_PUBLIC_FAMILIES,
    BOT_ID,
    CUSTOMER_FAMILIES,
    DRIVERS,
    F_INSTANT_SOLVE,
    F_REPLY_SOLVE,
    GENERIC_TAGS,
    N_VARIANTS,
    PLACEHOLDERS,
    PRIORITIES,
    PRODUCTS,
    STATUSES,
    TEST_CARDS,
)
from tasks.demo.columns import lookup
from tasks.demo.lives import Simulation
from tasks.demo.names import AGENT_FIRST, FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS
from tasks.demo.snapshots import Snapshots
from tasks.demo.texts import (
    AGENT_CLOSERS,
    AGENT_OPENERS,
    CUSTOMER_CLOSERS,
    DESCRIPTION_CLOSERS,
    DESCRIPTION_OPENERS,
    DESCRIPTIONS,
    FOLLOWUP_DESCRIPTIONS,
    FOLLOWUP_SUBJECTS,
    PII_SENTENCES,
    SUBJECTS,
    fill,
    placeholders,
    text_table,
)


class Labels(Snapshots):
    """The snapshots with the names of people and the texts of tickets and comments."""

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._names()
        self._texts()

    # -- names and texts -------------------------------------------------------------------

    def _names(self) -> None:
        sim = self.sim
        first = np.asarray(FIRST_NAMES)[sim.req_first]
        last = np.asarray(LAST_NAMES)[sim.req_last]
        self.req_id = pl.Series([f"u-{i:06d}" for i in range(sim.n_requesters)])
        self.req_firstname = pl.Series(first.tolist(), dtype=pl.String)
        self.req_lastname = pl.Series(last.tolist(), dtype=pl.String)
        self.req_email = pl.Series(
            [
                f"{f.lower()}.{la.lower()}{n}@{MAIL_DOMAINS[d]}"
                for f, la, n, d in zip(first, last, sim.req_mailnum, sim.req_domain, strict=True)
            ]
        )
        self.req_phone = pl.Series(
            [f"+1 {p // 10_000:03d}-555-{p % 10_000:04d}" for p in sim.req_phone]
        )
        self.org_id = [f"org-{i:05d}" for i in range(sim.n_orgs)]
        self.agent_id = [f"a-{i + 1:03d}" for i in range(sim.n_agents)]
        self.agent_name = [
            AGENT_FIRST[i % len(AGENT_FIRST)] + ("" if i < len(AGENT_FIRST) else f" {i}")
            for i in range(sim.n_agents)
        ]
        # one table for event values: statuses, priorities, agents
        self.value_table = pl.Series(
            [*STATUSES, *PRIORITIES, *self.agent_id, None], dtype=pl.String
        )
        # one table for authors: agents, system, the trigger, requesters
        self.author_table = pl.concat(
            [pl.Series([*self.agent_id, "system", BOT_ID], dtype=pl.String), self.req_id]
        )

    def _texts(self) -> None:
        drivers = self.sim.drivers
        self.texts = text_table(drivers)
        self.comment_placeholders = placeholders(self.texts)
        subjects: list[str] = []
        descriptions: list[str] = []
        for d in drivers:
            key = d if d in DRIVERS else "*"
            subjects.extend(SUBJECTS[key])
            descriptions.extend(DESCRIPTIONS[key])
        subjects.extend(FOLLOWUP_SUBJECTS)
        descriptions.extend(FOLLOWUP_DESCRIPTIONS)
        self.subject_pool = pl.Series(subjects, dtype=pl.String)
        self.description_pool = pl.Series(descriptions, dtype=pl.String)
        self._tag_tables()
        self.subject_s, self.description_s = self._subject_description(np.arange(self.nt))

    def _tag_tables(self) -> None:
        """Every combination of a ticket's tags, as ``;``-joined text and as a list."""
        drivers = self.sim.drivers
        texts: list[str] = []
        lists: list[list[str]] = []
        for d1 in range(len(drivers)):
            for d2 in range(-1, len(drivers)):
                for g in range(-1, len(GENERIC_TAGS)):
                    for x in range(-1, len(ADDED_TAGS)):
                        tags = [drivers[d1]]
                        tags += [drivers[d2]] if d2 >= 0 else []
                        tags += [GENERIC_TAGS[g]] if g >= 0 else []
                        tags += [ADDED_TAGS[x]] if x >= 0 else []
                        texts.append(";".join(tags))
                        lists.append(tags)
        self.tag_text = pl.Series(texts, dtype=pl.String)
        self.tag_list = pl.Series(lists, dtype=pl.List(pl.String))

    def tags(self, ti: np.ndarray, tagged: np.ndarray, *, as_list: bool) -> pl.Series:
        """Tags of tickets ``ti``, with the agent-added tag where ``tagged``."""
        a = self.a
        nd, ng, na = len(self.sim.drivers), len(GENERIC_TAGS), len(ADDED_TAGS)
        x = np.where(tagged > 0, a["atag"][ti], -1).astype(np.int64)
        code = (
            (
                (a["driver"][ti].astype(np.int64) * (nd + 1) + a["driver2"][ti] + 1) * (ng + 1)
                + a["gtag"][ti]
                + 1
            )
            * (na + 1)
            + x
            + 1
        )
        return (self.tag_list if as_list else self.tag_text).gather(code)

    def values(self, ti: np.ndarray, keys: tuple[str, ...]) -> dict[str, pl.Series]:
        """Placeholder values for tickets ``ti``."""
        a = self.a
        req = a["requester"][ti]
        makers = {
            "first": lambda: self.req_firstname.gather(req),
            "last": lambda: self.req_lastname.gather(req),
            "email": lambda: self.req_email.gather(req),
            "phone": lambda: self.req_phone.gather(req),
            "n": lambda: pl.Series(a["num"][ti]).cast(pl.String),
            "product": lambda: lookup(PRODUCTS, a["product"][ti].astype(np.int64)),
            "card": lambda: lookup(TEST_CARDS, (a["num"][ti] % len(TEST_CARDS)).astype(np.int64)),
            "tag": lambda: lookup(self.sim.drivers, a["driver"][ti].astype(np.int64)),
            "ticket": lambda: self.tid.gather(ti),
        }
        return {k: makers[k]() for k in keys}

    def _subject_description(self, ti: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Subject and description of tickets ``ti`` (the description is the first comment)."""
        a = self.a
        drv = a["driver"][ti].astype(np.int64)
        followup = a["spawn"][ti] == 2
        code = np.where(followup, len(self.sim.drivers), drv) * N_VARIANTS + a["subj"][ti]
        dv = a["desc"][ti].astype(np.int64)
        values = self.values(ti, PLACEHOLDERS)
        df = pl.DataFrame(
            {
                "s": self.subject_pool.gather(code),
                "is_call": a["agent_created"][ti],
                "open": lookup(DESCRIPTION_OPENERS, dv % len(DESCRIPTION_OPENERS)),
                "body": self.description_pool.gather(code),
                "pii": lookup(PII_SENTENCES, a["pii"][ti].astype(np.int64)),
                "close": lookup(DESCRIPTION_CLOSERS, (dv // 7) % len(DESCRIPTION_CLOSERS)),
                **values,
            }
        )

        def fill_column(col: str, pool: tuple[str, ...] | pl.Series) -> pl.Expr:
            keys = placeholders(pl.Series(list(pool), dtype=pl.String))
            return fill(pl.col(col), {k: pl.col(k) for k in keys})

        call = pl.concat_str(
            [
                pl.lit("Phone call with "),
                pl.col("first"),
                pl.lit(" "),
                pl.col("last"),
                pl.lit(" ("),
                pl.col("phone"),
                pl.lit("). Customer says: "),
            ]
        )
        body = fill_column("body", self.description_pool)
        customer = pl.concat_str(
            [
                pl.col("open"),
                body,
                fill_column("pii", PII_SENTENCES),
                fill_column("close", DESCRIPTION_CLOSERS),
            ]
        )
        out = df.select(
            fill_column("s", self.subject_pool).alias("subject"),
            pl.when(pl.col("is_call"))
            .then(pl.concat_str([call, body]))
            .otherwise(customer)
            .alias("description"),
        )
        return out["subject"], out["description"]

    # -- state at every snapshot row ---------------------------------------------------------

    def comment_bodies(self, idx: np.ndarray) -> pl.Series:
        """Bodies of the comment events at ``idx`` (descriptions excepted)."""
        e, a = self.e, self.a
        ti = e["tix"][idx].astype(np.int64)
        fam = e["fam"][idx].astype(np.int64)
        author = e["author"][idx].astype(np.int64)
        var = e["var"][idx].astype(np.int64)
        content, wording = var // N_VARIANTS, var % N_VARIANTS
        # a resolution matches the problem in the subject
        aligned = np.isin(fam, [F_REPLY_SOLVE, F_INSTANT_SOLVE])
        content = np.where(aligned, a["subj"][ti], content)
        code = (fam * len(self.sim.drivers) + a["driver"][ti]) * N_VARIANTS + content
        agent_reply = np.isin(fam, AGENT_PUBLIC_FAMILIES)
        customer = np.isin(fam, CUSTOMER_FAMILIES)
        opener = np.where(agent_reply, wording, -1)
        closer = np.where(agent_reply, (wording * 5 + content) % N_VARIANTS, -1)
        c_closer = np.where(customer, (wording * 7 + content) % N_VARIANTS, -1)
        values = self.values(ti, self.comment_placeholders)
        df = pl.DataFrame(
            {
                "tpl": self.texts.gather(code),
                "opener": lookup(AGENT_OPENERS, opener),
                "closer": lookup(AGENT_CLOSERS, closer),
                "c_closer": lookup(CUSTOMER_CLOSERS, c_closer),
                "first_name": self.req_firstname.gather(a["requester"][ti]),
                "agent": lookup(self.agent_name, np.where(author >= 0, author, -1)),
                **values,
            }
        )
        body = pl.concat_str(
            [
                pl.col("opener").str.replace("{first}", pl.col("first_name"), literal=True),
                fill(pl.col("tpl"), {k: pl.col(k) for k in values}),
                pl.col("closer").str.replace("{agent}", pl.col("agent"), literal=True),
                pl.col("c_closer").str.replace("{first}", pl.col("first_name"), literal=True),
            ],
            ignore_nulls=True,
        )
        return df.select(body.alias("body")).to_series()

    def author_codes(self, author: np.ndarray, ti: np.ndarray) -> np.ndarray:
        """Row numbers in the author table: agents, system, the trigger, then requesters."""
        na = len(self.agent_id)
        return np.select(
            [author >= 0, author == A_SYSTEM, author == A_BOT],
            [author, na, na + 1],
            default=na + 2 + self.a["requester"][ti],
        )
