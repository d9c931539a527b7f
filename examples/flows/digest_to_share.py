"""An adopting team's own flow: the shipped morning run, then a step of its own.

Prefect composition, no fork: this flow calls `daily_backlog` as a subflow (so the
run shows both) and then copies the day's digest to a file share. Deploy it like the
shipped flows (an entry in your `prefect.yaml`:
`entrypoint: flows/digest_to_share.py:digest_to_share`), or run it once:

    python flows/digest_to_share.py --exports exports --day 2026-01-25 --share /mnt/share
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task

from flows.daily_backlog import daily_backlog
from tasks.config import load_settings


@task(retries=2, retry_delay_seconds=[5, 30])
def copy_to_share(out_dir: Path, day: str, share: Path) -> list[Path]:
    """Copy the day's digest (JSON and Markdown) to the share; the files written."""
    share.mkdir(parents=True, exist_ok=True)
    return [
        Path(shutil.copy2(out_dir / f"digest-{day}.{suffix}", share)) for suffix in ("json", "md")
    ]


@flow(name="digest-to-share")
def digest_to_share(
    exports: Path,
    share: Path,
    day: date | None = None,
    config: Path | None = None,
    post: bool = False,
) -> dict[str, Any]:
    """The shipped daily run, then the digest copied to `share`."""
    digest = daily_backlog(exports=exports, day=day, config=config, post=post)
    out_dir = load_settings(config).out_dir
    copy_to_share(out_dir, digest["date"], share)
    return digest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=Path, required=True)
    parser.add_argument("--share", type=Path, required=True)
    parser.add_argument("--day", type=date.fromisoformat)
    parser.add_argument("--config", type=Path)
    args = parser.parse_args()
    digest_to_share(args.exports, args.share, args.day, args.config)
