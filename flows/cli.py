"""`backlog`: the command line over the flows (README.md).

Each command maps its arguments to one flow (imported when the command runs, after the
environment Prefect reads at its import is set). Errors the user can act on print as one
sentence and exit 1; `--debug` shows the traceback and Prefect's own log lines. The options
and consoles the commands share are in `flows/cli_options.py`, the `backlog kb` group in
`flows/cli_kb.py`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.markdown import Markdown
from rich.markup import escape

from flows.cli_kb import kb_app
from flows.cli_options import (
    ConfigOption,
    DateOption,
    DbOption,
    ExportsOption,
    FullRefreshOption,
    OutOption,
    PostOption,
    SourceOption,
    check_db_path,
    check_out_dir,
    check_past,
    check_schedule_source,
    check_slack,
    checked_settings,
    console,
    errors,
    parse_day,
    settings_with_warehouse,
)
from flows.progress import flow_progress, warnings_printed
from tasks.errors import BacklogError, IncompleteDataError

app = typer.Typer(
    help="Support backlog flows: daily exports -> DuckDB -> metrics -> a morning digest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(kb_app, name="kb")


PREFECT_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")


@dataclass
class RunOptions:
    """The options of one `backlog` invocation that outlive its command (click's `ctx.obj`)."""

    debug: bool = False


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"backlog {version('support-backlog')}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show tracebacks and Prefect logs (also accepted after the command).",
            show_default="off",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Support backlog flows."""
    ctx.ensure_object(RunOptions).debug = debug
    serving = ctx.invoked_subcommand == "serve"
    # before any command imports a flow: Prefect reads its settings when it is imported
    for name, value in prefect_environment(debug, serving=serving).items():
        os.environ.setdefault(name, value)
    if not (debug or serving):
        # with Prefect's background services, which log under their class names: at exit
        # they printed "Still processing items" while sending a failed run's last events
        for name in ("prefect", *PREFECT_SERVICE_LOGGERS):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    if not serving:  # serve logs as a service does
        # every command prints a `backlog` warning (a migration's notice before it rewrites
        # a table) as one `Warning:` line, not only the commands that run a flow
        ctx.with_resource(warnings_printed(errors, debug))


def prefect_environment(debug: bool, *, serving: bool = False) -> dict[str, str]:
    """The Prefect settings of a `backlog` process (kept when already set).

    Telemetry off (this tool runs on machines that reach only their package registry);
    our own loggers (`backlog.*`) recorded as run logs; Prefect's console logs only with
    `--debug`. The process's flow runs inherit them. `backlog serve` (`serving`) keeps
    Prefect's log level, as prefect.yaml does for the deployments a worker runs: its
    scheduled runs record their logs for Prefect's UI, and it logs as a service does.
    """
    environment = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "backlog",
        # our loggers also speak outside flow runs (`backlog kb`, a warehouse upgrade):
        # there they print, and Prefect has no run to send them to
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        # the temporary server's 20 s default is too short on a busy 2-core machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    if not (debug or serving):
        environment["PREFECT_LOGGING_LEVEL"] = "CRITICAL"
    return environment


@app.command()
def demo(
    days: Annotated[int, typer.Option("--days", min=8, max=400, help="Days of exports.")] = 60,
    out: Annotated[
        Path, typer.Option("--out", help="Output folder; the demo's own files go to <out>/demo.")
    ] = Path("out"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic team.")] = 7,
) -> None:
    """Generate a synthetic support team's exports, run the flows over them, show the digest."""
    from tasks.demo.config import demo_range
    from tasks.demo.summary import warehouse_summary
    from tasks.demo.synthetic import SyntheticConfig, generate_exports

    check_out_dir(out, f"--out {out}")
    out_dir = out
    work = out_dir / "demo"
    exports = work / "exports"
    db = work / "backlog.duckdb"
    shutil.rmtree(work, ignore_errors=True)
    start, end = demo_range(datetime.now(UTC).date(), days)  # ends on a weekday
    with console.status(f"Generating {days} days of synthetic exports in {exports}"):
        generate_exports(exports, SyntheticConfig(start=start, days=days, seed=seed))
    console.print(f"Generated {days} days of synthetic exports in {exports}")
    digest = _run_flow("backfill", exports=exports, start=start, end=end, db=db, out=out_dir)
    _show(digest, out_dir)
    console.print(
        f"Slack preview: {out_dir / ('digest-' + digest['date'] + '.blocks.html')} "
        "(open it in a browser: the message as Slack shows it)",
        soft_wrap=True,
    )
    console.print(warehouse_summary(db), soft_wrap=True, highlight=False, markup=False)


@app.command()
def run(
    exports: ExportsOption,
    day: DateOption,
    source: SourceOption = "canonical",
    db: DbOption = None,
    out: OutOption = None,
    config: ConfigOption = None,
    post: PostOption = False,
    full_refresh: FullRefreshOption = False,
    pull: Annotated[
        bool,
        typer.Option(
            "--pull",
            help="First pull every day not pulled yet up to D from the helpdesk's API "
            "(--source zendesk, freshdesk, jira or servicenow).",
            show_default="off",
        ),
    ] = False,
) -> None:
    """Ingest day D's export, rebuild the marts and write D's digest."""
    from tasks.ingest import check_source, discover_exports

    # a config mistake, a file as --out, a day after today, Slack: said before Prefect starts
    check_past(day, checked_settings(config, db, out), None if pull else exports)
    check_slack(post)
    check_source(source)
    if pull:
        from tasks.pull import credentials

        credentials(source, os.environ)  # missing credentials are reported before Prefect starts
    else:
        # a wrong --exports is reported before Prefect starts; a missing day's folder is a
        # failed day: the flow records it, writes the digest and exits 1
        discover_exports(exports, day, day, source)
    extra = {"pull": True} if pull else {}
    digest = _run_flow(
        "daily_backlog",
        exports=exports,
        day=day,
        source=source,
        db=db,
        out=out,
        config=config,
        post=post,
        full_refresh=full_refresh,
        **extra,
    )
    _show(digest, out)


PullSourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        help="The helpdesk: zendesk, freshdesk, jira or servicenow (credentials from the "
        "environment; see README, Pull from your helpdesk).",
    ),
]


@app.command()
def pull(
    source: PullSourceOption,
    exports: ExportsOption,
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="The day D.",
            show_default="yesterday in report_timezone",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="YYYY-MM-DD",
            help="First day of a range.",
            show_default="none: one day, --date",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            metavar="YYYY-MM-DD",
            help="Last day of a range.",
            show_default="none: one day, --date",
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Fetch day D's changes (or every day START..END) from the helpdesk's API into
    EXPORTS/<D>/: the raw pages and a manifest."""
    from tasks import pull as puller
    from tasks import warehouse
    from tasks.config import load_settings

    settings = load_settings(config, db_path=db)
    puller.credentials(source, os.environ)  # missing credentials: one sentence, nothing opened
    if start or end:
        if day or not (start and end):
            raise BacklogError("Pass either --date D, or both --start S and --end E.")
        days = puller.date_range(parse_day(start), parse_day(end))
    else:
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo(settings.report_timezone)).date()
        days = [parse_day(day) if day else today - timedelta(days=1)]  # default: yesterday
    with warehouse.connect(settings) as con:
        puller.pull_days(
            con,
            source,
            days,
            exports,
            settings.report_timezone,
            os.environ,
            on_day=lambda manifest: console.print(puller.summary(manifest)),
        )


@app.command()
def backfill(
    exports: ExportsOption,
    start: Annotated[
        date,
        typer.Option(
            "--start", parser=parse_day, metavar="YYYY-MM-DD", help="The first report day."
        ),
    ],
    end: Annotated[
        date,
        typer.Option(
            "--end",
            parser=parse_day,
            metavar="YYYY-MM-DD",
            help="The last report day (its digest).",
        ),
    ],
    source: SourceOption = "canonical",
    db: DbOption = None,
    out: OutOption = None,
    config: ConfigOption = None,
) -> None:
    """Ingest every day from START to END in order; write the digest of END."""
    from tasks.ingest import backfill_days

    # a config mistake, a file as --out, a day after today: said before Prefect starts
    check_past(end, checked_settings(config, db, out), exports, "--end")
    backfill_days(exports, start, end, source)  # bad arguments are reported before Prefect starts
    digest = _run_flow(
        "backfill",
        lines=True,  # without a terminal: a line per batch and the closing split
        exports=exports,
        start=start,
        end=end,
        source=source,
        db=db,
        out=out,
        config=config,
    )
    _show(digest, out)


@app.command()
def digest(
    day: DateOption,
    db: DbOption = None,
    out: OutOption = None,
    config: ConfigOption = None,
    post: PostOption = False,
) -> None:
    """Rebuild day D's digest and its files from the warehouse (no export is read); --post
    sends it."""
    settings = settings_with_warehouse(config, db, out)  # stop early without a warehouse
    check_slack(post)
    run = _run_flow("digest", day=day, db=db, out=out, config=config, post=post)
    _show(run.digest, settings.out_dir)
    if run.delivery:
        console.print(run.delivery)


@app.command()
def review(
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            metavar="YYYY-Www",
            help="ISO week.",
            show_default="the last complete week",
        ),
    ] = None,
    db: DbOption = None,
    out: OutOption = None,
    config: ConfigOption = None,
    post: PostOption = False,
) -> None:
    """Build the weekly support-product review pack (HTML + Markdown with charts)."""
    from tasks.reports.review import parse_week

    settings_with_warehouse(config, db, out)  # stop early when there is no warehouse
    check_slack(post)
    if week is not None:
        parse_week(week)
    pack = _run_flow("weekly_review", week=week, db=db, out=out, config=config, post=post)
    for path in pack["files"][:2]:
        console.print(f"Review pack: {path}")


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Serve the daily digest and the weekly review on their schedules (Prefect)."""
    from flows.local_server import start_local_server
    from flows.start_up import collector_spared, import_flow, signals_held
    from tasks.config import load_settings

    settings = load_settings(config)
    check_schedule_source(settings)  # a wrong source: said now, not each morning
    check_db_path(settings)
    console.print(
        f"Serving daily-backlog ({settings.schedule.daily_cron}) and weekly-review "
        f"({settings.schedule.weekly_cron}) in {settings.report_timezone}; Ctrl-C stops."
    )
    try:
        with collector_spared() as started:
            with signals_held():
                # no server configured: Prefect's comes up while the flows and GX import
                server = start_local_server()
                import_flow("daily_backlog")  # and Great Expectations
                from flows.serve import serve_deployments
            started()
            serve_deployments(settings, config, server)
    except (KeyboardInterrupt, Terminated):  # how a service is stopped: not an error
        console.print("Stopped serving (the schedules are paused until the next start).")


def _reuse_server(config: Path | None, db: Path | None) -> None:
    """Use the Prefect server a `backlog serve` on this warehouse keeps up, when one
    answers and no server is configured: no server of its own to start (2.4-2.6 s)."""
    from flows.local_server import reuse_running_server
    from tasks.config import load_settings

    reuse_running_server(load_settings(config, db_path=db))


def _run_flow(name: str, lines: bool = False, **parameters: Any) -> Any:
    """Run a flow in-process: on the configured Prefect server, else on the one a
    `backlog serve` on this warehouse keeps up, else on Prefect's temporary server.

    `lines`: print the flow's progress lines (`flows/progress.py`) without a terminal."""
    from flows.local_server import start_local_server
    from flows.start_up import collector_spared, import_flow, signals_held

    _reuse_server(parameters.get("config"), parameters.get("db"))
    with collector_spared() as started:
        with signals_held():
            # no server to reuse: Prefect's temporary one comes up while the flow is imported
            server = start_local_server()
            chosen = import_flow(name)
        with (
            flow_progress(console, name, _debugging(), errors, lines) as stop_progress,
            server.run_settings() if server is not None else contextlib.nullcontext(),
        ):
            if server is not None:
                server.wait_ready()
            started()
            try:
                return chosen(**parameters)
            except IncompleteDataError as error:
                if error.digest is None:
                    raise
                stop_progress()
                shown = _show(error.digest, parameters.get("out"))
                if str(error) not in shown or _debugging():
                    raise
                # the digest's first line said the failure: exit 1 without saying it twice
                _forget(error)
                raise typer.Exit(1) from None


def _debugging() -> bool:
    """Whether this invocation runs with --debug."""
    context = click.get_current_context(silent=True)
    return bool(context and isinstance(context.obj, RunOptions) and context.obj.debug)


def _show(result: dict[str, Any], out: Path | None) -> str:
    """Print a digest and where its files are; returns its Markdown text."""
    from tasks.render.markdown import render_markdown

    text = render_markdown(result)
    console.print(Markdown(text))
    console.print(f"Digest files: {(out or Path('out')) / ('digest-' + result['date'])}.json/.md")
    return text


class Terminated(BaseException):
    """SIGTERM (a cron timeout, `systemctl stop`, `kill`): the command stops as on Ctrl-C,
    its current load rolled back and Prefect's temporary server stopped with it (Python's
    default for SIGTERM ends the process at once and leaves that server running)."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def main() -> None:
    """Entry point of the `backlog` command; it ends the process (in-process, call `app`)."""
    from flows.start_up import QuickExit

    signal.signal(signal.SIGTERM, _terminated)
    leaving = QuickExit()  # before the run registers its own exit handlers
    try:
        code = _run()
    except SystemExit as stop:  # rich's answer to a closed pipe (`backlog digest | head`)
        code = stop.code if isinstance(stop.code, int) else 1
    # leave the except blocks first: a live traceback keeps DuckDB objects alive to exit
    gc.collect()
    leaving.code = code
    sys.exit(code)


def _run() -> int:
    options = RunOptions()
    try:
        code = app(args=debug_first(sys.argv[1:]), standalone_mode=False, obj=options)
    except BacklogError as exc:
        if options.debug:
            raise
        errors.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
        _forget(exc)
        return 1
    except typer.exceptions.TyperException as exc:  # usage errors: typer shows them
        exc.show()
        return int(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except Terminated as exc:
        _forget(exc)  # frames holding DuckDB objects: freed before exit
        code = 143  # SIGTERM's conventional exit code
    except Exception as exc:
        if options.debug:
            raise
        errors.print(
            f"[red]Error:[/red] unexpected {type(exc).__name__}: {escape(str(exc).rstrip('.'))}. "
            "Run again with --debug for the traceback, and report it.",
            highlight=False,
        )
        _forget(exc)
        return 1
    if code in (130, 143):  # typer returns Ctrl-C as exit code 130
        errors.print("Interrupted; the warehouse is left as it was before the current load.")
    return code if isinstance(code, int) else 0


def debug_first(args: list[str]) -> list[str]:
    """`--debug` anywhere before a `--` moved before the command, where click reads it."""
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[:end]:
        return args
    return ["--debug", *[arg for arg in args[:end] if arg != "--debug"], *args[end:]]


def _forget(exc: BaseException) -> None:
    """Drop the frames an exception holds, so the DuckDB objects in them are freed before
    exit."""
    from tasks.errors import forget_frames

    forget_frames(exc)
