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


def settings_with_warehouse(config: Path | None, db: Path | None, out: Path | None) -> Any:
    """The settings, for a command that reads an existing warehouse: without one it stops
    with one sentence before Prefect starts."""
    from tasks.config import load_settings

    settings = load_settings(config, db_path=db, out_dir=out)
    if not settings.db_path.exists():
        raise BacklogError(
            f"No warehouse at {settings.db_path}; run `backlog backfill` first or pass --db."
        )
    return settings
