"""`backlog kb`: list, show, accept and dismiss the knowledge-base candidates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from flows.cli_options import ConfigOption, DbOption, console, settings_with_warehouse

kb_app = typer.Typer(
    help="Knowledge-base candidates: list, show, accept, dismiss.", no_args_is_help=True
)
CandidateArg = Annotated[str, typer.Argument(metavar="ID", help="A candidate id (kb-...).")]


@kb_app.command("list")
def kb_list(db: DbOption = None, config: ConfigOption = None) -> None:
    """Every candidate found so far: new ones first, then accepted, then dismissed; within a
    state the most recently seen, then the largest, first."""
    from rich.table import Table

    from tasks import kb, warehouse

    settings = settings_with_warehouse(config, db, None)
    with warehouse.connect(settings) as con:
        candidates = kb.list_candidates(con)
    if not candidates:
        console.print("No knowledge-base candidates yet: they come with `backlog run`.")
        return
    table = Table("id", "state", "last seen", "tickets", "title")
    for candidate in candidates:
        table.add_row(
            candidate["candidate_id"],
            candidate["state"],
            str(candidate["last_seen"]),
            str(candidate["tickets"]),
            candidate["title"],
        )
    console.print(table)


@kb_app.command("show")
def kb_show(candidate: CandidateArg, db: DbOption = None, config: ConfigOption = None) -> None:
    """The candidate's Markdown draft."""
    from tasks import kb, warehouse

    settings = settings_with_warehouse(config, db, None)
    with warehouse.connect(settings) as con:
        console.print(Markdown(kb.show_candidate(con, candidate)))


@kb_app.command("accept")
def kb_accept(candidate: CandidateArg, db: DbOption = None, config: ConfigOption = None) -> None:
    """Mark a candidate accepted (someone writes the article)."""
    _set_kb_state(candidate, "accepted", db, config)


@kb_app.command("dismiss")
def kb_dismiss(candidate: CandidateArg, db: DbOption = None, config: ConfigOption = None) -> None:
    """Dismiss a candidate: it is not suggested again when the same cluster returns."""
    _set_kb_state(candidate, "dismissed", db, config)


def _set_kb_state(candidate: str, state: str, db: Path | None, config: Path | None) -> None:
    from tasks import kb, warehouse

    settings = settings_with_warehouse(config, db, None)
    with warehouse.connect(settings) as con:
        kb.set_state(con, candidate, state)
    console.print(f"{candidate}: {state}")
