"""`backlog serve`: the daily digest and the weekly review as Prefect deployments on schedules.

Serves in this process (no work pool needed). Prefect's own `serve` starts every flow run
in a new Python process, which imports Prefect, the flows, DuckDB and Great Expectations
again each morning (5-6 CPU s on 2 cores, more than the small team's whole morning). So
this process registers the two deployments (their schedules on the Prefect server), polls
the server for their scheduled runs as Prefect's runner does, and runs each one here, in
order, with Prefect's flow engine (`run_flow` with the scheduled flow run): a real flow
run with its states, logs and tasks in the server, imports paid once. With a Prefect
server and workers, `prefect deploy --all` from prefect.yaml declares the same
deployments instead. Without a configured server (`PREFECT_API_URL`) `backlog serve`
starts Prefect's server first thing (flows/local_server.py: it comes up while this module
and Great Expectations are imported, and ends with this process however it ends), keeps
it while it serves and announces it beside the warehouse, so a `backlog run` in the
meantime reuses it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect.logging import get_logger
from prefect.schedules import Cron

from flows import local_server
from flows.daily_backlog import daily_backlog
from flows.weekly_review import weekly_review
from tasks.config import Settings
from tasks.errors import forget_frames

logger = get_logger("backlog.serve")  # Prefect's console handler: serve logs as a service does


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


def serve_deployments(
    settings: Settings, config: Path | None = None, server: local_server.LocalServer | None = None
) -> None:
    """Serve both deployments until interrupted, on `server` (the local server this
    process started, announced while serving) or else on the configured one.

    Call it with the flows' modules and Great Expectations imported (`backlog serve`)."""
    served = [daily_backlog, weekly_review]
    if server is None:
        serve_in_process(deployments(settings, config), served)
        return
    server.wait_ready()
    path = local_server.announce(settings, server.api_url)
    logger.info("Prefect's local server is up at %s (announced in %s).", server.api_url, path)
    try:
        with server.run_settings():
            serve_in_process(deployments(settings, config), served)
    finally:
        local_server.withdraw(settings)


def serve_in_process(served: list, flows: list, poll_seconds: float | None = None) -> None:
    """Register `served` (Prefect RunnerDeployments of `flows`) and run their scheduled
    flow runs in this process, one at a time, until interrupted; their schedules are
    paused on the way out, as Prefect's `serve` does.

    Every `poll_seconds` (Prefect's `runner.poll_frequency`, 10 s by default) it asks the
    server for the runs due before the next poll and starts each at its scheduled time. A
    run is claimed by moving it to Pending (another runner that claimed it first wins),
    then Prefect's flow engine runs it: Running, the tasks, Completed or Failed, the logs.
    A failed run is logged and the next one still runs."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    poll = poll_seconds or get_current_settings().runner.poll_frequency
    by_name = {flow.name: flow for flow in flows}
    registered = {deployment.apply(): by_name[deployment.flow_name] for deployment in served}
    names = ", ".join(f"{d.flow_name}/{d.name}" for d in served)
    logger.info("Serving %s; each scheduled run runs in this process.", names)
    with get_client(sync_client=True) as client:
        try:
            while True:
                horizon = datetime.now(UTC) + timedelta(seconds=poll)
                due = client.get_scheduled_flow_runs_for_deployments(
                    deployment_ids=list(registered), scheduled_before=horizon
                )
                for flow_run in sorted(due, key=_start_time):
                    wait = _start_time(flow_run) - datetime.now(UTC)
                    time.sleep(max(0.0, wait.total_seconds()))
                    run_scheduled(client, registered[flow_run.deployment_id], flow_run.id)
                if not due:
                    time.sleep(poll)
        finally:
            for deployment_id in registered:
                client.pause_deployment(deployment_id)


def run_scheduled(client: Any, flow: Any, flow_run_id: Any) -> Any:
    """Claim one scheduled flow run and run it here; its final state (None: not claimed)."""
    from prefect.exceptions import Abort
    from prefect.flow_engine import run_flow
    from prefect.states import Pending
    from prefect.utilities.engine import propose_state_sync

    try:
        claimed = propose_state_sync(client, Pending(), flow_run_id=flow_run_id)
    except Abort:
        return None  # taken by another runner, cancelled or deleted meanwhile
    if not claimed.is_pending():
        return None
    flow_run = client.read_flow_run(flow_run_id)
    logger.info("Flow run %r of %s starts in this process.", flow_run.name, flow.name)
    state = run_flow(flow, flow_run=flow_run, return_type="state")
    logger.info("Flow run %r ended %s.", flow_run.name, state.type.value)
    if state.is_failed():
        error = state.result(raise_on_failure=False)
        if isinstance(error, BaseException):
            forget_frames(error)  # this process lives on: free the run's DuckDB objects
    return state


def _start_time(flow_run: Any) -> datetime:
    return flow_run.next_scheduled_start_time or flow_run.expected_start_time
