"""The canonical entities : their columns, types, keys, staging tables and values.

The one definition the readers (`tasks/adapters`), the load (`tasks/ingest`), the GX
frames and suites (`tasks/quality`, `expectations/`) and the warehouse's fixed tables
(`sql/schema/core.sql`) follow; `tests/tasks/test_contract.py` fails when any of them drifts.
A canonical column is named as in an export file (`type`, `public`); `staged_as` is its
name in the staging table when the SQL name differs (`ticket_type`, `is_public`).
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
PRIORITIES = ("low", "normal", "high", "urgent")
EVENT_KINDS = ("status_change", "comment", "priority_change", "assignment", "tag_change")
AUTHOR_ROLES = ("end_user", "agent", "system")
# The columns every load's typed rows carry before the canonical ones, and after them.
LOAD_COLUMNS = (("load_id", "varchar"), ("export_date", "date"), ("row_number", "bigint"))
EXTRA_COLUMN = ("extra", "json")


@dataclass(frozen=True)
class Column:
    """One canonical column: its name in an export, its staging column and type."""

    name: str
    sql_type: str = "varchar"
    required: bool = False
    staged_as: str | None = None

    @property
    def staged_name(self) -> str:
        """The column's name in the staging table."""
        return self.staged_as or self.name

    @property
    def is_timestamp(self) -> bool:
        """A timestamp: its text is kept beside its cast (`<name>_text`) in a typed load."""
        return self.sql_type == "timestamptz"


@dataclass(frozen=True)
class Entity:
    """One canonical entity: its columns in export order, its key and its tables."""

    name: str
    key: str
    staging_table: str
    raw_table: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        """The canonical column names, in the order an export lists them."""
        return [column.name for column in self.columns]

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a file of this entity must have (a missing one is fatal)."""
        return tuple(column.name for column in self.columns if column.required)

    def staging_columns(self) -> list[tuple[str, str, bool]]:
        """The staging table's columns: (name, SQL type, not null), in table order.

        Required columns and the key are not null; the key may be derived (an event
        without `event_id` gets one from its content).
        """
        return [
            *((name, sql_type, True) for name, sql_type in LOAD_COLUMNS),
            *(
                (column.staged_name, column.sql_type, column.required or column.name == self.key)
                for column in self.columns
            ),
            (*EXTRA_COLUMN, False),
        ]


TICKETS = Entity(
    name="tickets",
    key="ticket_id",
    staging_table="staging.stg_ticket_versions",
    raw_table="raw.tickets",
    columns=(
        Column("ticket_id", required=True),
        Column("created_at", "timestamptz", required=True),
        Column("updated_at", "timestamptz", required=True),
        Column("status", required=True),
        Column("requester_id", required=True),
        Column("priority"),
        Column("type", staged_as="ticket_type"),
        Column("channel"),
        Column("group_name"),
        Column("assignee_id"),
        Column("organization_id"),
        Column("customer_tier"),
        Column("subject"),
        Column("description"),
        Column("tags", "varchar[]"),
        Column("solved_at", "timestamptz"),
        Column("first_reply_at", "timestamptz"),
        Column("satisfaction"),
    ),
)
EVENTS = Entity(
    name="events",
    key="event_id",
    staging_table="staging.stg_events",
    raw_table="raw.events",
    columns=(
        Column("event_id"),
        Column("ticket_id", required=True),
        Column("occurred_at", "timestamptz", required=True),
        Column("kind", required=True),
        Column("from_value"),
        Column("to_value"),
        Column("author_id"),
        Column("author_role"),
        Column("public", "boolean", staged_as="is_public"),
        Column("body"),
    ),
)
ENTITY = {entity.name: entity for entity in (TICKETS, EVENTS)}
# Load order: tickets before events.
ENTITIES = tuple(ENTITY)
CANONICAL_COLUMNS = {name: entity.column_names for name, entity in ENTITY.items()}
REQUIRED_COLUMNS = {name: entity.required for name, entity in ENTITY.items()}
STAGING_TABLES = {name: entity.staging_table for name, entity in ENTITY.items()}
KEYS = {name: entity.key for name, entity in ENTITY.items()}
