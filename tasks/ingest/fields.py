"""Check the configured driver field against the ticket fields the loads have seen.

`[drivers] dimension = "field:<name>"` reads a ticket column or a key of `extra`, where an
export's unknown columns land. The config alone cannot tell a typo from a custom field (any
column of a canonical export is kept), but once exports are loaded the ledger knows every
field they had (`ops.loads.extra_columns`): a name none of them had, and no loaded ticket's
`extra` holds, is a mistake that would leave the digest without drivers, said as one
sentence with the nearest field.
"""

from __future__ import annotations

import difflib
from datetime import date

import duckdb

from tasks.config import Settings
from tasks.contract import TICKETS
from tasks.warehouse import read_sql

FIELD_PREFIX = "field:"


def driver_field_problem(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """A sentence when the driver field is no canonical ticket column and no loaded export
    had it; None when it exists, drivers are tags, or no tickets are loaded yet."""
    dimension = settings.drivers.dimension
    if not dimension.startswith(FIELD_PREFIX):
        return None
    name = dimension.removeprefix(FIELD_PREFIX)
    columns = {column.staged_name: column.name for column in TICKETS.columns}
    loads, extra = con.execute(  # every tickets load: those before the last day there is
        read_sql("queries/ingest/ledger__earlier_extra_columns.sql"),
        {"entity": "tickets", "export_date": date.max},
    ).fetchone()
    if not loads or name in columns or name in extra:
        return None
    # a helpdesk's pages may hold keys beyond the columns its ledger row names: look in the
    # rows (a scan only when the name is in no ledger, i.e. most likely a mistake)
    found = con.execute(
        "select 1 from staging.stg_ticket_versions where json_exists(extra, $path) limit 1",
        {"path": f'$."{name}"'},
    ).fetchone()
    if found:
        return None
    # the fields as the config names them: `type` is read as `ticket_type` (tasks/config.py)
    fields = sorted({*columns.values(), *extra} - {"tags"})
    close = difflib.get_close_matches(name.lower(), fields, n=1, cutoff=0.6)
    hint = f' (did you mean "field:{close[0]}"?)' if close else ""
    where = settings.source_of("drivers", "dimension")
    where = "the config" if where == "the defaults" else where
    return (
        f'Drivers not counted: `drivers.dimension = "{dimension}"` in {where} names a field '
        f'no loaded ticket has{hint}, so the digest has no drivers; set it to "tags" or to '
        f'"field:<name>" with one of the ticket fields: {", ".join(fields)}.'
    )
