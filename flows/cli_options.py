"""What every `backlog` command shares: the consoles it prints on, its options (with the
help and defaults `--help` shows), and the check that a warehouse exists."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tasks.errors import BacklogError
from tasks.ingest import SOURCE_HELP

# an export's file names: never a warehouse (`--db tickets.csv`)
EXPORT_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".xlsx")

console = Console()
errors = Console(stderr=True)


ExportsOption = Annotated[
    Path, typer.Option("--exports", help="Folder holding one <YYYY-MM-DD> folder per day.")
]
SourceOption = Annotated[str, typer.Option("--source", help=SOURCE_HELP)]
# Defaults that come from the config are shown with `show_default` (typer renders it as
# "[default: (...)]"); a "[default: ...]" written in a help text is eaten as Rich markup.
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB warehouse file.",
        show_default="db_path of the config, else backlog.duckdb",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Output folder.", show_default="out_dir of the config, else out"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Config file.", show_default="$BACKLOG_CONFIG, else ./backlog.toml"
    ),
]


def parse_day(value: str) -> date:
    """A YYYY-MM-DD argument as a date; anything else is a usage error (exit 2)."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD.") from exc


DateOption = Annotated[
    date, typer.Option("--date", parser=parse_day, metavar="YYYY-MM-DD", help="The report day D.")
]


PostOption = Annotated[
    bool,
    typer.Option(
        "--post",
        help="Post to Slack (SLACK_BOT_TOKEN + SLACK_CHANNEL, or "
        "SLACK_WEBHOOK_URL, from the environment).",
        show_default="off",
    ),
]


FullRefreshOption = Annotated[
    bool,
    typer.Option(
        "--full-refresh",
        help="Rebuild every model from everything loaded instead of updating it incrementally.",
        show_default="off",
    ),
]


def check_out_dir(folder: Path, named: str) -> None:
    """Stop with one sentence before Prefect starts when the output folder, or a folder it
    would be made in, is a file (else the run loads the day and fails writing the digest).
    `named`: the folder as the user gave it (`--out out`, `out_dir in backlog.toml`)."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                what = "is a file" if path == folder else f"is inside {path}, which is a file"
                raise BacklogError(
                    f"{named} {what}, not a folder; pass a folder for the digest files (it is "
                    "created when missing)."
                )
            return


def checked_settings(config: Path | None, db: Path | None, out: Path | None) -> Any:
    """The settings of a command that writes digests, once its output folder is checked."""
    from tasks.config import load_settings

    settings = load_settings(config, db_path=db, out_dir=out)
    source = settings.source_of("out_dir")
    named = (
        f"--out {out}"
        if out is not None
        else f"The output folder {settings.out_dir} (the default out_dir)"
        if source == "the defaults"
        else f"The output folder {settings.out_dir} ({source})"
        if source.startswith("BACKLOG_")
        else f"The output folder {settings.out_dir} (out_dir in {source})"
    )
    check_out_dir(settings.out_dir, named)
    check_db_path(settings, db)
    return settings


def check_db_path(settings: Any, db: Path | None = None) -> None:
    """A warehouse path that names an export file is said before anything runs: DuckDB
    opens an existing .csv as an empty in-memory database, so the run would load into it
    and keep nothing."""
    if settings.db_path.suffix.lower() in EXPORT_SUFFIXES:
        named = (
            f"--db {settings.db_path}"
            if db is not None
            else f"db_path = {settings.db_path} in {settings.source_of('db_path')}"
        )
        raise BacklogError(
            f"{named} names an export file, not the warehouse; name the DuckDB file the "
            "runs write instead, e.g. backlog.duckdb."
        )


def settings_with_warehouse(config: Path | None, db: Path | None, out: Path | None) -> Any:
    """The settings, for a command that reads an existing warehouse: without one (or with
    a file for its output folder) it stops with one sentence before Prefect starts."""
    settings = checked_settings(config, db, out)
    if not settings.db_path.exists():
        raise BacklogError(
            f"No warehouse at {settings.db_path}; run `backlog backfill` first or pass --db."
        )
    return settings


def check_schedule_source(settings: Any) -> None:
    """`[schedule] source` checked when `backlog serve` starts, not each morning in a run."""
    from tasks.ingest import check_source

    try:
        check_source(settings.schedule.source)
    except BacklogError as exc:
        where = settings.source_of("schedule", "source")
        said = str(exc)
        raise BacklogError(f"`schedule.source` in {where}: {said[:1].lower()}{said[1:]}") from None


def check_past(day: date, settings: Any, exports: Path | None, option: str = "--date") -> None:
    """A report day after today (in report_timezone) without an export folder is a mistyped
    date: said before Prefect starts (it was recorded as a missing day, with a digest asking
    for its export). A day whose folder is there is loaded whatever its date (a helpdesk
    that names its exports in another timezone, or exports generated ahead)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(settings.report_timezone)).date()
    if day > today and not (exports is not None and (exports / day.isoformat()).is_dir()):
        raise BacklogError(
            f"{option} {day} is after today ({today} in {settings.report_timezone}) and has "
            "no export; pass the day whose export you have, e.g. yesterday's."
        )


def check_slack(post: bool) -> None:
    """With --post, a half-done Slack configuration (a channel name for its id, a token
    without a channel) is said before anything loads, not after the day has loaded."""
    if post:
        import os

        from tasks.delivery.slack import SlackTarget

        SlackTarget.from_env(os.environ)  # raises its one sentence; the target is dropped
