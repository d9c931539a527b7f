"""The digest flow: day D's digest from the warehouse, its files written, posted on request.

The one definition of a run's end: the daily flow and the backfill call it as a subflow
after loading, and `backlog digest --date D` runs it alone, so all three write the same
files (digest, KB drafts, Data Docs, Slack message and preview) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow

from flows import steps
from tasks import warehouse
from tasks.config import load_settings


@dataclass(frozen=True)
class DigestRun:
    """What the digest flow did: the digest, and what Slack delivery did (None: not asked)."""

    digest: dict[str, Any]
    delivery: str | None = None


@flow(name="digest")
def digest(
    day: date,
    db: Path | None = None,
    out: Path | None = None,
    config: Path | None = None,
    post: bool = False,
    update_models: bool = True,
) -> DigestRun:
    """Build, write (and with `post`, deliver) day D's digest; no export is read.

    `update_models` first brings the marts up to date with what is loaded (incrementally);
    the daily flow and the backfill have just built them and pass False.
    """
    settings = load_settings(config, db_path=db, out_dir=out)
    with warehouse.connect(settings) as con:
        if update_models:
            steps.build_models(con, settings)
        result = steps.build_digest(con, day, settings)
        payload = steps.write_digest(con, result, settings)
        delivery = steps.post_digest(con, day, payload, settings) if post else None
    return DigestRun(result, delivery)
