"""Bring a warehouse's fixed tables up to date: versioned migrations, then the schema."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tasks.errors import WARNINGS_LOGGER, BacklogError
from tasks.warehouse.files import SQL_DIR, split_statements
from tasks.warehouse.readers import file_size

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
GUARD = re.compile(r"^--\s*applies when:\s*(.+)$")
HEADER = re.compile(r"^--\s*(rows it rewrites|says):\s*(.+)$")
# what a migration says is printed as the `Warning:` lines are (flows/progress.py), and
# recorded in the flow run's log (a cron mail and Prefect's UI hold it)
NOTICES_LOGGER = WARNINGS_LOGGER
VERSION_QUERY = (
    "select version, schema_sha256 from ops.schema_migrations order by version desc limit 1"
)


@dataclass(frozen=True)
class Migration:
    """One `sql/migrations/NNNN_<name>.sql`: a change to an existing warehouse's shape."""

    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def guard(self) -> str | None:
        """The query of the first line `-- applies when: <select>`, if the file has one."""
        first = self.sql().split("\n", 1)[0]
        found = GUARD.match(first)
        return found.group(1) if found else None

    @property
    def notice(self) -> tuple[str, str] | None:
        """(`-- rows it rewrites: <select count>`, `-- says: <sentence>`) from the file's
        opening comment lines, when it has both: a migration that rewrites a table says
        so before it starts, with `{rows}` and `{size}` (the warehouse's file) filled in,
        when the count is above 0 (a long silent pause reads like a hang)."""
        header = {}
        for line in self.sql().split("\n"):
            if not line.startswith("--"):
                break
            found = HEADER.match(line)
            if found:
                header[found.group(1)] = found.group(2).strip()
        if "rows it rewrites" in header and "says" in header:
            return header["rows it rewrites"], header["says"]
        return None


def discover_migrations(folder: Path = SQL_DIR / "migrations") -> list[Migration]:
    """Every migration, by version; versions are 1, 2, 3, ... with none missing."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        named = MIGRATION_NAME.match(path.name)
        if named is None:
            raise BacklogError(f"Migration {path} must be named NNNN_<name>.sql (lower case).")
        found.append(Migration(int(named.group(1)), named.group(2), path))
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise BacklogError(
            f"Migrations in {folder} are numbered {versions}; number them 1, 2, 3, ... "
            "with none repeated or missing."
        )
    return found


def schema_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """The fixed schema in the order it runs: `schema/core.sql` (it creates the schemas),
    the other `schema/*.sql`, then the loaded staging tables (`staging/loaded/*.sql`)."""
    schema = sorted((sql_dir / "schema").glob("*.sql"), key=lambda p: (p.stem != "core", p.stem))
    return [*schema, *sorted((sql_dir / "staging" / "loaded").glob("*.sql"))]


def schema_digest(files: list[Path]) -> str:
    """What the fixed schema says, hashed: a change re-applies it."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}\n{path.read_text(encoding='utf-8')}\n".encode())
    return digest.hexdigest()


def recorded_state(con: duckdb.DuckDBPyConnection) -> tuple[int, str | None]:
    """The warehouse's latest migration version and schema digest; (0, None) before any."""
    try:
        row = con.execute(VERSION_QUERY).fetchone()
    except duckdb.CatalogException:
        return 0, None
    return (row[0], row[1]) if row else (0, None)


def upgrade(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the pending migrations and the fixed schema when the warehouse is behind.

    One query when it is current (the latest version and schema digest recorded match
    the files). Otherwise, in one transaction: each pending migration whose guard holds
    (or that has none), in version order, then every schema file (idempotent: it creates
    what is missing, such as new tables and views), then the record. Migrations run
    first so each sees the old shape it turns into the new one. Returns the names of
    the migrations that ran.
    """
    migrations = discover_migrations(sql_dir / "migrations")
    files = schema_files(sql_dir)
    digest = schema_digest(files)
    version, recorded_digest = recorded_state(con)
    latest = migrations[-1].version if migrations else 0
    if version > latest:
        raise BacklogError(
            f"The warehouse is at migration {version}, newer than this version of the "
            f"tool ({latest}); upgrade the tool."
        )
    if version == latest and recorded_digest == digest:
        return []
    ran = []
    con.execute("begin transaction")
    try:
        pending = [migration for migration in migrations if migration.version > version]
        applied = []
        for migration in pending:
            applies = migration.guard is None or bool(con.execute(migration.guard).fetchone()[0])
            if applies:
                _say(con, migration)
                _run(con, migration.sql(), migration.path)
                ran.append(migration.name)
            applied.append((migration, applies))
        for path in files:
            _run(con, path.read_text(encoding="utf-8"), path)
        for migration, applies in applied:
            con.execute(
                "insert into ops.schema_migrations values ($version, $name, $ran, now(), $digest)",
                {
                    "version": migration.version,
                    "name": migration.name,
                    "ran": applies,
                    "digest": digest,
                },
            )
        con.execute(
            "update ops.schema_migrations set schema_sha256 = $digest where version = $version",
            {"digest": digest, "version": latest},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ran


def _say(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    """Log the migration's notice when it has one and there are rows to rewrite."""
    if migration.notice is None:
        return
    count_query, sentence = migration.notice
    rows = con.execute(count_query).fetchone()[0] or 0
    if rows <= 0:
        return
    size = con.execute(
        "select coalesce(sum(total_blocks * block_size), 0) from pragma_database_size() "
        "where database_name = current_database()"
    ).fetchone()[0]
    logging.getLogger(NOTICES_LOGGER).warning(
        "%s", sentence.format(rows=f"{rows:,}", size=file_size(size))
    )


def _run(con: duckdb.DuckDBPyConnection, text: str, path: Path) -> None:
    """Every statement of one file; a failure names the file."""
    for statement in split_statements(text):
        try:
            con.execute(statement)
        except duckdb.Error as exc:
            raise BacklogError(
                f"Upgrading the warehouse failed in {path.name} "
                f"({str(exc).splitlines()[0]}); the warehouse was left as it was."
            ) from exc
