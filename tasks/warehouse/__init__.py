"""The DuckDB warehouse: connect, session set-up, config tables, versioned migrations, SQL files."""

from tasks.warehouse.config_tables import config_rows, session_variables, write_config_tables
from tasks.warehouse.connection import (
    commit_without_vacuum,
    configure_session,
    connect,
    defer_vacuum,
    insert_rows,
    open_file,
    prepare,
    session_twin,
)
from tasks.warehouse.files import SQL_DIR, read_sql, split_statements
from tasks.warehouse.migrations import discover_migrations, recorded_state, upgrade
from tasks.warehouse.readers import (
    PublishedCopy,
    RemovedCopy,
    SkippedCopy,
    file_size,
    publish_copy,
    remove_copy,
)

__all__ = [
    "SQL_DIR",
    "PublishedCopy",
    "RemovedCopy",
    "SkippedCopy",
    "commit_without_vacuum",
    "config_rows",
    "configure_session",
    "connect",
    "defer_vacuum",
    "discover_migrations",
    "file_size",
    "insert_rows",
    "open_file",
    "prepare",
    "publish_copy",
    "read_sql",
    "recorded_state",
    "remove_copy",
    "session_twin",
    "session_variables",
    "split_statements",
    "upgrade",
    "write_config_tables",
]
