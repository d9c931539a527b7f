"""The models' manifest (`sql/<layer>/_models.toml`): check each built model, comment it."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tasks.errors import BacklogError
from tasks.models.discover import LAYERS
from tasks.warehouse import SQL_DIR

MANIFEST = "_models.toml"


@dataclass(frozen=True)
class Column:
    """One column of a model as the manifest describes it."""

    name: str
    description: str
    not_null: bool = False
    unique: bool = False


@dataclass(frozen=True)
class ModelSpec:
    """One model's manifest entry: what a row is, its key, its columns."""

    table: str
    description: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    source: Path
    loaded: bool = False  # filled by the ingest, not built by the runner

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


def load_manifest(folders: Sequence[Path]) -> dict[str, ModelSpec]:
    """Every entry of `<folder>/<layer>/_models.toml` in the given `sql/` folders."""
    specs: dict[str, ModelSpec] = {}
    for folder in folders:
        for layer in LAYERS:
            path = folder / layer / MANIFEST
            if path.exists():
                for spec in _read(path, layer):
                    if spec.table in specs:
                        raise BacklogError(
                            f"{path} describes {spec.table}, which "
                            f"{specs[spec.table].source} already describes; keep one entry."
                        )
                    specs[spec.table] = spec
    return specs


def _read(path: Path, layer: str) -> list[ModelSpec]:
    """The entries of one manifest file; a malformed entry is named."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BacklogError(f"The manifest {path} is not valid TOML ({exc}).") from exc
    specs = []
    for name, entry in data.items():
        try:
            columns = tuple(
                Column(
                    column,
                    str(spec["description"]),
                    bool(spec.get("not_null", False)),
                    bool(spec.get("unique", False)),
                )
                for column, spec in entry["columns"].items()
            )
            spec = ModelSpec(
                table=f"{layer}.{name}",
                description=str(entry["description"]),
                grain=str(entry["grain"]),
                key=tuple(entry["key"]),
                columns=columns,
                source=path,
                loaded=bool(entry.get("loaded", False)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise BacklogError(
                f"The manifest {path} entry [{name}] needs description, grain, key and "
                f"columns (each with a description); {exc!r} is missing or malformed."
            ) from exc
        unknown = [column for column in spec.key if spec.column(column) is None]
        if unknown:
            raise BacklogError(
                f"The manifest {path} entry [{name}] has key column {unknown[0]}, which its "
                "columns do not list."
            )
        specs.append(spec)
    return specs


def check_model(con: duckdb.DuckDBPyConnection, spec: ModelSpec, scope: str | None) -> None:
    """Fail with one sentence when the built table breaks its manifest entry.

    Two queries: the table's columns (`describe`) against the manifest, then one
    aggregate over the rows (all of them, or those matching `scope`, the rebuilt part of
    an incremental build) counting key duplicates and nulls in key and not-null columns.
    """
    described = con.execute(f"select column_name from (describe {spec.table})").fetchall()
    built = [name for (name,) in described]
    where = _shown(spec.source)
    declared = [column.name for column in spec.columns]
    for name in declared:
        if name not in built:
            raise BacklogError(
                f"Model {spec.table} has no column {name}, which {where} declares; "
                "add it to the model or remove it from the manifest."
            )
    for name in built:
        if name not in declared:
            raise BacklogError(
                f"Model {spec.table} has column {name}, which {where} does not declare; "
                "describe it in the manifest."
            )
    checks = _row_checks(spec)
    if not checks:
        return
    counts = con.execute(
        f"select {', '.join(expr for _, expr in checks)} from {spec.table}"
        + (f" where {scope}" if scope else "")
    ).fetchone()
    for (sentence, _), count in zip(checks, counts, strict=True):
        if count:
            raise BacklogError(
                f"Model {spec.table} {sentence.format(count=count, rows=_rows(count))}, "
                f"against {where}; fix the model or its manifest entry."
            )


def _row_checks(spec: ModelSpec) -> list[tuple[str, str]]:
    """(failure sentence, count expression) for the key and the not-null and unique columns."""
    checks = []
    if spec.key:
        names = ", ".join(spec.key)
        nulls = " or ".join(f"{_quoted(column)} is null" for column in spec.key)
        checks.append(
            (f"has {{rows}} with a null in its key ({names})", f"count(*) filter ({nulls})")
        )
        values = ", ".join(f"{_quoted(c)}: {_quoted(c)}" for c in spec.key)
        checks.append(
            (
                f"has {{rows}} repeating another row's key ({names}), declared unique",
                f"count(*) - count(distinct {{{values}}})",
            )
        )
    for column in spec.columns:
        if column.not_null and column.name not in spec.key:
            checks.append(
                (
                    f"has {{count}} null values in column {column.name}, declared not_null",
                    f"count(*) - count({_quoted(column.name)})",
                )
            )
        if column.unique:
            checks.append(
                (
                    f"has {{count}} repeated values in column {column.name}, declared unique",
                    f"count({_quoted(column.name)}) - count(distinct {_quoted(column.name)})",
                )
            )
    return checks


def write_comments(con: duckdb.DuckDBPyConnection, specs: Sequence[ModelSpec]) -> int:
    """The descriptions as `COMMENT ON TABLE` / `COLUMN`, where the catalog differs.

    A BI tool shows them. One catalog query, then the changed comments (a table replaced
    by a build has lost its comments) in one batch: one call per statement costs ~6 ms
    each, ~1.7 s a full build. Returns how many were written.
    """
    current = {
        (schema, table, column): comment
        for schema, table, column, comment in con.execute(
            "select schema_name, table_name, null, comment from duckdb_tables() "
            "where database_name = current_database() union all "
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database()"
        ).fetchall()
    }
    statements = []
    for spec in specs:
        schema, table = spec.table.split(".")
        if (schema, table, None) not in current:
            continue
        text = f"{spec.description} Grain: {spec.grain}."
        if spec.key:
            text += f" Key: {', '.join(spec.key)}."
        if current[(schema, table, None)] != text:
            statements.append(f"comment on table {spec.table} is {_literal(text)}")
        for column in spec.columns:
            if current.get((schema, table, column.name), column.description) != column.description:
                statements.append(
                    f"comment on column {spec.table}.{_quoted(column.name)} "
                    f"is {_literal(column.description)}"
                )
    if statements:
        con.execute(";\n".join(statements))
    return len(statements)


def _shown(path: Path) -> str:
    """A shipped manifest relative to the project (sql/...), an extension's as it is."""
    return str(path.relative_to(SQL_DIR.parent) if path.is_relative_to(SQL_DIR) else path)


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
