"""`backlog serve`: the daily digest and the weekly review as Prefect deployments on schedules.

Serves in this process (no work pool needed): Prefect runs each flow when its cron comes
due. With a Prefect server and workers, `prefect deploy --all` from prefect.yaml declares
the same deployments instead. Without a configured server (`PREFECT_API_URL`) this
process starts Prefect's local server once, keeps it while it serves and announces it
beside the warehouse, so a `backlog run` in the meantime reuses it (flows/local_server.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import serve
from prefect.schedules import Cron

from flows import local_server
from flows.daily_backlog import daily_backlog
from flows.weekly_review import weekly_review
from tasks.config import Settings


def deployments(settings: Settings, config: Path | None = None) -> list:
    """The two deployments, with schedules in the team's (report) time zone."""
    zone = settings.report_timezone
    common = {"db": settings.db_path, "out": settings.out_dir, "config": config}
    return [
        daily_backlog.to_deployment(
            name="daily-digest",
            schedules=[Cron(settings.schedule.daily_cron, timezone=zone)],
            parameters={
                "exports": settings.exports_dir,
                "source": settings.schedule.source,
                "pull": settings.schedule.pull,
                "post": settings.schedule.post,
                **common,
            },
        ),
        weekly_review.to_deployment(
            name="weekly-review",
            schedules=[Cron(settings.schedule.weekly_cron, timezone=zone)],
            parameters={"post": settings.schedule.post, **common},
        ),
    ]


def serve_deployments(settings: Settings, config: Path | None = None) -> None:
    """Serve both deployments until interrupted; announce the local server while serving."""
    if os.environ.get(local_server.API_URL):
        serve(*deployments(settings, config))
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the one this process's Prefect client uses
    server.start()
    # Prefect runs each scheduled flow in a new process, which reads its API from the
    # environment: without this it would start a temporary server of its own every run
    os.environ[local_server.API_URL] = server.api_url
    local_server.announce(settings, server.api_url)
    try:
        serve(*deployments(settings, config))
    finally:
        local_server.withdraw(settings)
