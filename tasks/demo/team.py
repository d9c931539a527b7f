"""The simulated support team: its calendar, requesters, capacity and the inflow of tickets."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from tasks.demo.codes import (
    BASE_HOURS,
    DAY,
    DRIVER_WEIGHTS,
    DRIVERS,
    HOUR,
    HOURLY_WEEKDAY,
    HOURLY_WEEKEND,
    PRIO_WAIT,
    TIER_WAIT,
    WARMUP_DAYS,
    WEEKDAY_FACTOR,
)
from tasks.demo.config import SyntheticConfig
from tasks.demo.events import Batch
from tasks.demo.names import FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS


class Team:
    """The team's world: calendar, requesters, capacity and the base inflow of tickets."""

    def __init__(self, cfg: SyntheticConfig) -> None:
        if cfg.days < 1:
            raise ValueError("SyntheticConfig.days must be at least 1")
        if cfg.fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError(f"SyntheticConfig.fmt must be csv, jsonl or parquet, not {cfg.fmt!r}")
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.tz = ZoneInfo(cfg.timezone)
        self.n_agents = max(1, int(cfg.agents))
        self.sim_first = cfg.start - timedelta(days=WARMUP_DAYS)
        self.n_sim = WARMUP_DAYS + cfg.days
        margin = 120
        self.dates = [self.sim_first + timedelta(days=i) for i in range(self.n_sim + margin + 1)]
        self.bounds = np.array(
            [int(datetime.combine(d, time(0), tzinfo=self.tz).timestamp()) for d in self.dates],
            dtype=np.int64,
        )
        self.offsets = np.array(
            [
                int(datetime.combine(d, time(12), tzinfo=self.tz).utcoffset().total_seconds())
                for d in self.dates
            ],
            dtype=np.int64,
        )
        self.horizon = int(self.bounds[self.n_sim])
        self.window_start = int(self.bounds[WARMUP_DAYS])
        self.drivers = list(DRIVERS)
        if cfg.spike is not None and cfg.spike[0] not in self.drivers:
            self.drivers.append(cfg.spike[0])
        self._requesters()

    # -- population ---------------------------------------------------------------------

    def _requesters(self) -> None:
        rng = self.rng
        # a healthy team's pool: most customers write once or twice a quarter, a few
        # accounts write every week (any-ticket 7-day recontact about 10% before the planted
        # recontacts; a pool of tickets_per_day * 20 with a steep head made it about 45%)
        n = max(1500, int(self.cfg.tickets_per_day * 100))
        n_org = max(20, n // 6)
        org_tier = rng.choice(4, size=n_org, p=[0.12, 0.33, 0.55, 0.0])
        has_org = rng.random(n) < 0.62
        org = np.where(has_org, rng.integers(0, n_org, n), -1)
        tier = np.where(has_org, org_tier[np.maximum(org, 0)], rng.choice([2, 3], n, p=[0.2, 0.8]))
        w = 1.0 / (np.arange(n) + 30.0) ** 0.6
        self.req_p = rng.permutation(w / w.sum())
        self.req_tier = tier.astype(np.int8)
        self.req_org = org.astype(np.int32)
        self.req_first = rng.integers(0, len(FIRST_NAMES), n)
        self.req_last = rng.integers(0, len(LAST_NAMES), n)
        self.req_domain = rng.integers(0, len(MAIL_DOMAINS), n)
        self.req_mailnum = rng.integers(1, 99, n)
        self.req_phone = rng.integers(2_000_000, 9_999_999, n)
        self.n_requesters = n
        self.n_orgs = n_org
        self.agent_w = rng.dirichlet(np.full(self.n_agents, 6.0))

    def _capacity(self, created_per_day: np.ndarray) -> None:
        """Daily queue wait (in days of work) from inflow against the team's capacity."""
        rng, cfg = self.rng, self.cfg
        n = len(self.dates)
        wd = np.array([d.weekday() for d in self.dates])
        avail = np.full(n, float(self.n_agents))
        sick = rng.binomial(self.n_agents, 0.05, n)
        avail = avail - sick
        self.holiday: tuple[date, date] | None = None
        if cfg.days >= 21:
            first = WARMUP_DAYS + int(cfg.days * 0.35)
            while wd[first] != 0:
                first += 1
            out = max(1, round(self.n_agents * 0.55))
            avail[first : first + 7] -= out
            self.holiday = (self.dates[first], self.dates[first + 4])
        avail = np.clip(avail, 0, None)
        arrivals = np.zeros(n)
        arrivals[: len(created_per_day)] = created_per_day * 1.5
        nominal = 1.18 * 1.5 * cfg.tickets_per_day * sum(WEEKDAY_FACTOR) / 5
        cap = np.where(wd < 5, nominal * avail / self.n_agents, nominal * 0.08)
        q = 0.0
        wait = np.zeros(n)
        for i in range(n):
            q = max(0.0, q + arrivals[i] - cap[i])
            wait[i] = q / nominal
        self.wait_days = wait
        self.avail = np.where(wd < 5, avail, np.minimum(avail, 1))  # weekends: on call only

    # -- calendar helpers -----------------------------------------------------------------

    def _day_index(self, t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.bounds, t, side="right") - 1, 0, len(self.bounds) - 2)

    def snap(self, t: np.ndarray) -> np.ndarray:
        """Move instants outside working hours (08-18 local, Mon-Fri) to the next morning."""
        t = np.asarray(t, dtype=np.int64)
        off = self.offsets[self._day_index(t)]
        loc = t + off
        ld = loc // DAY
        sec = loc - ld * DAY
        wd = (ld + 3) % 7  # 1970-01-01 was a Thursday
        inside = (wd < 5) & (sec >= 8 * HOUR) & (sec < 18 * HOUR)
        early = (wd < 5) & (sec < 8 * HOUR)
        add = np.select([wd == 4, wd == 5], [3, 2], default=1)
        nd = np.where(early, ld, ld + add)
        jitter = np.minimum(self.rng.exponential(1800.0, len(t)), 3 * HOUR).astype(np.int64)
        moved = nd * DAY + 8 * HOUR + jitter - off
        return np.where(inside, t, moved)

    def agent_time(self, b: Batch, idx: np.ndarray, ready: np.ndarray) -> np.ndarray:
        """When an agent next acts on tickets that became ready for an agent at ``ready``."""
        rng = self.rng
        n = len(idx)
        prio = b.prio1[idx]
        wait = (
            self.wait_days[self._day_index(ready)]
            * np.asarray(PRIO_WAIT)[prio]
            * np.asarray(TIER_WAIT)[b.tier[idx]]
            * rng.uniform(0.3, 1.3, n)
            * 1.4
            * DAY
        )
        base = rng.exponential(np.asarray(BASE_HOURS)[prio] * HOUR) + 60
        fast = b.fast[idx]
        base = np.where(fast, rng.uniform(300, 5400, n), base)
        wait = np.where(fast, 0.0, wait)
        snapped = self.snap(self.snap(ready) + (base + wait).astype(np.int64))
        return np.where(prio == 3, ready + base.astype(np.int64), snapped).astype(np.int64)

    # -- tickets ----------------------------------------------------------------------------

    def base_arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        """Creation instants and drivers of the base inflow (plus the planted spike)."""
        rng, cfg = self.rng, self.cfg
        wd = np.array([d.weekday() for d in self.dates[: self.n_sim]])
        trend = 1.0 + 0.08 * np.sin(np.arange(self.n_sim) / 17.0)
        lam = cfg.tickets_per_day * np.asarray(WEEKDAY_FACTOR)[wd] * trend
        lam = lam * rng.lognormal(0.0, 0.1, self.n_sim)
        counts = rng.poisson(lam)
        spike = np.zeros(self.n_sim, dtype=np.int64)
        if cfg.spike is not None:
            first = (cfg.spike[1] - self.sim_first).days
            for i in range(first, first + 5):
                if 0 <= i < self.n_sim:
                    spike[i] = int(cfg.spike[2])
        total = counts + spike
        self._capacity(total.astype(float))
        day = np.repeat(np.arange(self.n_sim), total)
        is_spike = (
            np.concatenate(
                [
                    np.r_[np.zeros(c, bool), np.ones(s, bool)]
                    for c, s in zip(counts, spike, strict=True)
                ]
            )
            if len(day)
            else np.zeros(0, bool)
        )
        weekend = wd[day] >= 5
        p_wd = np.asarray(HOURLY_WEEKDAY, float) / sum(HOURLY_WEEKDAY)
        p_we = np.asarray(HOURLY_WEEKEND, float) / sum(HOURLY_WEEKEND)
        hour = np.where(weekend, rng.choice(24, len(day), p=p_we), rng.choice(24, len(day), p=p_wd))
        t = self.bounds[day] + hour * HOUR + rng.integers(0, HOUR, len(day))
        t = np.minimum(t, self.bounds[day + 1] - 1)
        driver = rng.choice(len(DRIVERS), len(day), p=np.asarray(DRIVER_WEIGHTS))
        if cfg.spike is not None:
            driver = np.where(is_spike, self.drivers.index(cfg.spike[0]), driver)
        return t.astype(np.int64), driver.astype(np.int16)
