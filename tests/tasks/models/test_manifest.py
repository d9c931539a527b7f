"""The models' manifest (sql/<layer>/_models.toml): entries, checks after a build, comments."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tasks import extensions, models, warehouse
from tasks.config import load_settings
from tasks.errors import BacklogError
from tests.support.loading import load_exports
from tests.support.paths import FIXTURES


def _loaded(tmp: Path) -> duckdb.DuckDBPyConnection:
    root = FIXTURES / "canonical" / "small"
    con = warehouse.connect(load_settings(db_path=tmp / "m.duckdb", out_dir=tmp / "out"))
    load_exports(con, root)
    return con


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    con = _loaded(tmp_path_factory.mktemp("manifest"))
    models.build_models(con)
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"select column_name from (describe {table})").fetchall()]


@pytest.fixture(scope="module")
def demo(demo_run):
    """The demo team's warehouse (events, KB candidates, every mart filled), read only."""
    con = duckdb.connect(str(demo_run.db), read_only=True)
    yield con
    con.close()


def test_every_shipped_model_has_an_entry_matching_its_built_columns(demo) -> None:
    built = demo
    specs = models.load_manifest([warehouse.SQL_DIR])
    shipped = [model.table for model in models.discover_models()]
    assert [table for table in shipped if table not in specs] == []
    for table in shipped:
        assert sorted(_columns(built, table)) == sorted(c.name for c in specs[table].columns)
    loaded = {table for table, spec in specs.items() if spec.loaded}
    assert loaded == {"staging.stg_ticket_versions", "staging.stg_events"}
    for table in loaded:
        assert _columns(built, table) == [c.name for c in specs[table].columns]
    assert set(specs) - set(shipped) - loaded == set()


def test_every_entry_says_what_a_row_is_and_describes_every_column() -> None:
    for table, spec in models.load_manifest([warehouse.SQL_DIR]).items():
        assert spec.grain.startswith("one row per"), table
        assert len(spec.description) > 40, table
        assert all(len(column.description) > 5 for column in spec.columns), table
        assert spec.key or table.startswith("intermediate."), table


def test_a_models_grain_line_is_its_manifest_grain() -> None:
    specs = models.load_manifest([warehouse.SQL_DIR])
    for model in models.discover_models():
        first = model.sql().split("\n", 1)[0]
        words = re.findall(r"[a-z]+", specs[model.table].grain)[:4]
        assert re.findall(r"[a-z]+", first)[:4] == words, model.table


def test_the_descriptions_become_table_and_column_comments(built) -> None:
    spec = models.load_manifest([warehouse.SQL_DIR])["marts.fct_daily_flow"]
    table_comment = built.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' "
        "and table_name = 'fct_daily_flow'"
    ).fetchone()[0]
    comments = dict(
        built.execute(
            "select column_name, comment from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'fct_daily_flow'"
        ).fetchall()
    )
    assert table_comment.startswith(spec.description)
    assert "Grain: one row per report day" in table_comment
    assert comments == {column.name: column.description for column in spec.columns}
    loaded = built.execute(
        "select comment from duckdb_tables() where table_name = 'stg_events'"
    ).fetchone()[0]
    assert loaded.startswith("Every valid event row")


def test_a_broken_key_fails_the_build_with_one_sentence(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, sql)
    manifest = sql / "marts" / "_models.toml"
    text = manifest.read_text(encoding="utf-8")
    entry = text.index("[fct_open_tickets]")
    key = text.index('key = ["report_date", "ticket_id"]', entry)
    manifest.write_text(text[:key] + 'key = ["report_date"]' + text[key + 34 :], encoding="utf-8")
    with _loaded(tmp_path) as con:
        with pytest.raises(BacklogError) as failed:
            models.build_models(con, sql_dir=sql)
        assert con.execute("select count(*) from ops.model_builds").fetchone() == (0,)
    message = str(failed.value)
    assert re.fullmatch(
        r"Model marts\.fct_open_tickets has \d+ rows repeating another row's key "
        r"\(report_date\), declared unique, against \S+/sql/marts/_models\.toml; "
        r"fix the model or its manifest entry\.",
        message,
    ), message


def _extension(tmp: Path, model_sql: str, manifest: str | None) -> extensions.Extensions:
    marts = tmp / "ext" / "sql" / "marts"
    marts.mkdir(parents=True)
    (marts / "fct_ext.sql").write_text(model_sql, encoding="utf-8")
    if manifest is not None:
        (marts / "_models.toml").write_text(manifest, encoding="utf-8")
    return extensions.Extensions(dirs=(tmp / "ext",))


EXT_MANIFEST = """
[fct_ext]
description = "A test extension mart."
grain = "one row per report day"
key = ["report_date"]

[fct_ext.columns]
report_date = { description = "The day." }
tickets = { description = "Tickets.", not_null = true }
"""


def test_an_extension_model_is_checked_against_its_own_manifest(tmp_path: Path) -> None:
    ext = _extension(
        tmp_path,
        "-- one row per report day\nselect report_date, null::integer as tickets "
        "from marts.fct_daily_flow",
        EXT_MANIFEST,
    )
    with _loaded(tmp_path) as con, pytest.raises(BacklogError) as failed:
        models.build_models(con, ext=ext)
    assert str(failed.value).startswith(
        "Model marts.fct_ext has 2 null values in column tickets, declared not_null, against "
        f"{tmp_path / 'ext' / 'sql' / 'marts' / '_models.toml'}"
    )


def test_a_missing_or_extra_column_is_named(tmp_path: Path) -> None:
    ext = _extension(
        tmp_path,
        "-- one row per report day\nselect report_date, inflow from marts.fct_daily_flow",
        EXT_MANIFEST,
    )
    with _loaded(tmp_path) as con, pytest.raises(BacklogError, match="has no column tickets"):
        models.build_models(con, ext=ext)


def test_an_extension_model_without_a_manifest_is_not_checked(tmp_path: Path) -> None:
    ext = _extension(
        tmp_path,
        "-- one row per report day\nselect report_date, null as anything "
        "from marts.fct_daily_flow union all select null, null",
        None,
    )
    with _loaded(tmp_path) as con:
        models.build_models(con, ext=ext)
        assert con.execute("select count(*) from marts.fct_ext").fetchone() == (3,)


def test_the_demo_warehouse_meets_every_check_and_carries_the_comments(demo) -> None:
    specs = models.load_manifest([warehouse.SQL_DIR])
    for table, spec in specs.items():
        schema, name = table.split(".")
        comment = demo.execute(
            "select comment from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
        assert comment, table
        for column in spec.key:
            nulls = demo.execute(f"select count(*) from {table} where {column} is null")
            assert nulls.fetchone()[0] == 0, (table, column)
        if spec.key:
            keys = ", ".join(spec.key)
            repeated = demo.execute(
                f"select count(*) from (select {keys} from {table} "
                "group by all having count(*) > 1)"
            ).fetchone()[0]
            assert repeated == 0, table
