"""The canonical contract (tasks/contract.py) against every copy of it: a drift fails here.

Checked: the raw tables of `sql/schema/core.sql` and the staging tables the ingest fills
(`sql/staging/loaded/*.sql`), the typing queries
`sql/queries/ingest/canonical__*.sql`, the GX frames `sql/queries/ingest/frame__*.sql`
and the suites `expectations/*.json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from tasks import contract
from tasks.quality import suite_path
from tasks.quality.suites import EXPECTATIONS_DIR
from tasks.warehouse import SQL_DIR, read_sql
from tasks.warehouse.migrations import schema_files

ENTITIES = list(contract.ENTITY.values())
# Frame columns the suites compute from canonical ones (not columns of an export).
DERIVED_FRAME_COLUMNS = {
    "row_number",
    "earliest_plausible_at",
    "latest_plausible_at",
    "solved_at_unparsed",
    "first_reply_at_unparsed",
    "status_change_to",
}
# A value set of a suite -> the contract's values it must equal.
VALUE_SETS = {
    ("tickets", "status"): contract.STATUSES,
    ("tickets", "priority"): contract.PRIORITIES,
    ("events", "kind"): contract.EVENT_KINDS,
    ("events", "status_change_to"): contract.STATUSES,
    ("events", "author_role"): contract.AUTHOR_ROLES,
}
PARAMETERS = {"source_timezone": "UTC"}
TYPING_PARAMETERS = {**PARAMETERS, "has_extra": True}


@pytest.fixture
def con():
    """An in-memory warehouse with the fixed tables, and an empty load as the reader leaves it."""
    connection = duckdb.connect()
    for path in schema_files():
        connection.execute(path.read_text(encoding="utf-8"))
    connection.execute(
        "create temp table load_records (load_id varchar, export_date date, "
        "source_file varchar, row_number bigint, line_number bigint, record json, "
        "raw_text varchar, problem varchar)"
    )
    yield connection
    connection.close()


def _described(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str, bool]]:
    """(name, type, not null) of each column of a table or query."""
    return [
        (name, column_type, null == "NO")
        for name, column_type, null, *_ in con.execute(f"describe {relation}").fetchall()
    ]


def _typed(con: duckdb.DuckDBPyConnection, entity: contract.Entity) -> None:
    con.execute(
        "create or replace temp table load_typed as "
        + read_sql(f"queries/ingest/canonical__{entity.name}.sql"),
        TYPING_PARAMETERS,
    )


def _suite(entity: contract.Entity) -> list[dict]:
    return json.loads(suite_path(entity.name).read_text())["expectations"]


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_staging_table_is_the_contract(con, entity):
    """The staging table has the contract's columns, types and not-nulls, in order."""
    definition = ", ".join(
        f"{name} {sql_type}{' not null' if not_null else ''}"
        for name, sql_type, not_null in entity.staging_columns()
    )
    con.execute(f"create temp table expected ({definition})")
    assert _described(con, entity.staging_table) == _described(con, "expected")
    assert _described(con, entity.raw_table)  # the raw table exists


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_typing_query_reads_every_canonical_column_into_its_staging_column(con, entity):
    """A record with every canonical column (and one more) types into the staging columns,
    each filled, with only the unknown column left in `extra`."""
    values = {
        column.name: {
            "timestamptz": "2026-03-02T09:00:00Z",
            "boolean": "true",
            "varchar[]": "billing;login",
        }.get(column.sql_type, "x")
        for column in entity.columns
    }
    record = {**values, "not_canonical": "kept"}
    con.execute(
        "insert into load_records values ('l', date '2026-03-02', 'f', 1, 2, ?, null, null)",
        [json.dumps(record)],
    )
    _typed(con, entity)
    typed = dict(
        zip(
            [d[0] for d in con.execute("select * from load_typed").description],
            con.execute("select * from load_typed").fetchone(),
            strict=True,
        )
    )
    staged = {name for name, _, _ in entity.staging_columns()}
    assert staged <= set(typed)
    assert [name for name in staged if typed[name] is None] == []
    assert json.loads(typed["extra"]) == {"not_canonical": "kept"}
    timestamps = {f"{c.name}_text" for c in entity.columns if c.is_timestamp}
    assert set(typed) - staged == timestamps


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_typing_query_types_match_the_staging_table(con, entity):
    """The typed load is inserted into staging by column name: the same types."""
    _typed(con, entity)
    typed = {name: column_type for name, column_type, _ in _described(con, "load_typed")}
    for name, column_type, _ in _described(con, entity.staging_table):
        assert typed[name] == column_type, name


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_typing_query_names_only_canonical_keys(entity):
    """The keys the typing query reads from a record, and those it moves out of `extra`."""
    sql = read_sql(f"queries/ingest/canonical__{entity.name}.sql")
    # one parse per record: the keys are read in one json_transform into a struct of
    # texts (tickets' tags, an array or a string, on their own as JSON)
    struct = re.search(r"json_transform\(record, '\{(.*?)\}'\)", sql, re.S)
    assert struct is not None
    read = set(re.findall(r'"(\w+)": "VARCHAR"', struct.group(1)))
    read |= set(re.findall(r"json_extract\(record, '\$\.(\w+)'\)", sql))
    assert not re.findall(r"record ->>? '", sql)
    patched = set(re.findall(r'"(\w+)": null', sql))
    assert read == set(entity.column_names)
    assert patched == set(entity.column_names)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_gx_frame_holds_what_the_suite_reads_and_only_contract_columns(con, entity):
    _typed(con, entity)
    frame_sql = read_sql(f"queries/ingest/frame__{entity.name}.sql")
    frame = {name for name, _, _ in _described_with(con, frame_sql)}
    staged = {column.staged_name for column in entity.columns}
    assert frame - DERIVED_FRAME_COLUMNS <= staged
    for item in _suite(entity):
        kwargs = item["kwargs"]
        read = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        assert set(read) <= frame, item
        subject = item.get("meta", {}).get("column")
        assert subject is None or subject in entity.column_names, item


def _described_with(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str, bool]]:
    return [
        (name, column_type, null == "NO")
        for name, column_type, null, *_ in con.execute(f"describe {sql}", PARAMETERS).fetchall()
    ]


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_suite_requires_the_required_columns_and_the_contract_values(entity):
    not_null = {
        item["kwargs"]["column"]
        for item in _suite(entity)
        if item["type"] == "expect_column_values_to_not_be_null"
    }
    assert not_null == set(entity.required)
    value_sets = {
        (entity.name, item["kwargs"]["column"]): tuple(item["kwargs"]["value_set"])
        for item in _suite(entity)
        if item["type"] == "expect_column_values_to_be_in_set"
    }
    assert value_sets == {key: v for key, v in VALUE_SETS.items() if key[0] == entity.name}


def test_one_suite_per_entity():
    assert sorted(path.stem for path in Path(EXPECTATIONS_DIR).glob("*.json")) == sorted(
        contract.ENTITIES
    )


def test_ingest_queries_bind_named_parameters_only():
    """The ingest's queries take `$name` parameters, never `?` or session variables."""
    for path in sorted((SQL_DIR / "queries" / "ingest").glob("*.sql")):
        code = "\n".join(line.split("--")[0] for line in path.read_text().splitlines())
        assert "?" not in code, path
        assert "getvariable" not in code, path
