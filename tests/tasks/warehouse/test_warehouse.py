"""The warehouse: new, current, pre-versioning and old-KB warehouses; migrations; config tables."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tasks import warehouse
from tasks.config import load_settings
from tasks.errors import BacklogError
from tasks.warehouse import migrations, readers

MIGRATIONS = [(m.version, m.name) for m in warehouse.discover_migrations()]


class Recorder:
    """A connection that records every statement it is given (to see what connect runs)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any) -> duckdb.DuckDBPyConnection:
        self.statements.append(sql)
        return self.con.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> duckdb.DuckDBPyConnection:
        self.statements.append(sql)
        return self.con.executemany(sql, *args)


def _settings(path: Path, **overrides: Any):
    return load_settings(db_path=path, out_dir=path.parent / "out", **overrides)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }


def _made_before_versioning(con: duckdb.DuckDBPyConnection) -> None:
    """Turn a current warehouse into one made before this change: no version table, no
    config fingerprint, the columns migration 0001 adds missing."""
    con.execute("drop table ops.schema_migrations")
    con.execute("drop table ops.config_written")
    for table, column in (
        ("raw.tickets", "line_number"),
        ("raw.tickets", "raw_text"),
        ("raw.events", "line_number"),
        ("raw.events", "raw_text"),
        ("ops.quarantine", "line_number"),
        ("ops.quarantine", "raw_text"),
        ("ops.validation_results", "message"),
    ):
        con.execute(f"alter table {table} drop column {column}")


def test_a_new_warehouse_gets_every_table_and_records_every_migration(tmp_path: Path) -> None:
    with warehouse.connect(_settings(tmp_path / "new.duckdb")) as con:
        recorded = con.execute(
            "select version, name, ran from ops.schema_migrations order by version"
        ).fetchall()
        tables = _tables(con)
        kinds = dict(
            con.execute(
                "select table_name, table_type from information_schema.tables "
                "where table_schema = 'ops' and table_name like 'kb_candidate_member%'"
            ).fetchall()
        )
    # nothing to migrate in a new warehouse: every guard is false
    assert recorded == [(version, name, False) for version, name in MIGRATIONS]
    assert {
        "raw.tickets",
        "staging.stg_ticket_versions",
        "staging.stg_events",
        "ops.loads",
        "ops.model_builds",
        "ops.slack_messages",
        "ops.load_failures",
        "config.sla_targets",
        "config.nature_rules",
        "config.sentiment_lexicon",
    } <= tables
    assert kinds == {"kb_candidate_member_lists": "BASE TABLE", "kb_candidate_members": "VIEW"}


def test_connecting_to_a_current_warehouse_runs_no_ddl(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "current.duckdb")
    warehouse.connect(settings).close()
    with duckdb.connect(str(settings.db_path)) as raw:
        recorder = Recorder(raw)
        warehouse.prepare(recorder, settings)  # type: ignore[arg-type]
        # a table dropped by hand is not made again: the schema files did not run
        raw.execute("drop table ops.slack_files")
        warehouse.prepare(raw, settings)
        assert "ops.slack_files" not in _tables(raw)
    reads = [sql for sql in recorder.statements if not sql.startswith("set ")]
    assert reads == [migrations.VERSION_QUERY, "select fingerprint from ops.config_written"]


def test_changed_settings_rewrite_the_config_tables_and_only_then(tmp_path: Path) -> None:
    path = tmp_path / "settings.duckdb"
    warehouse.connect(_settings(path)).close()
    with duckdb.connect(str(path)) as raw:
        raw.execute("update config.work_settings set stale_days = 99")
        assert not warehouse.write_config_tables(raw, _settings(path))
        assert raw.execute("select stale_days from config.work_settings").fetchone() == (99,)
    with warehouse.connect(_settings(path, work={"stale_days": 3})) as con:
        assert con.execute("select * from config.work_settings").fetchall() == [(3.0, 5)]
        assert con.execute("select getvariable('nature_pattern') <> '^$'").fetchone() == (True,)


def test_a_warehouse_made_before_versioning_upgrades_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    warehouse.connect(_settings(path)).close()
    with duckdb.connect(str(path)) as raw:
        _made_before_versioning(raw)
        raw.execute("insert into raw.tickets values ('L1', '2026-03-02', 'tickets.csv', 1, '{}')")
        raw.execute("drop table config.sla_targets")
    with warehouse.connect(_settings(path)) as con:
        ran = con.execute(
            "select name from ops.schema_migrations where ran order by version"
        ).fetchall()
        row = con.execute("select load_id, line_number, raw_text from raw.tickets").fetchall()
        message = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'ops' "
            "and table_name = 'validation_results' and column_name = 'message'"
        ).fetchone()
        sla = con.execute("select count(*) from config.sla_targets").fetchone()[0]
    assert ran == [("raw_line_numbers_and_messages",)]
    assert row == [("L1", None, None)]
    assert message == (1,)
    assert sla > 0


def test_an_old_kb_member_table_becomes_lists_and_a_view(tmp_path: Path) -> None:
    path = tmp_path / "kb.duckdb"
    day = date(2026, 3, 2)
    warehouse.connect(_settings(path)).close()
    with duckdb.connect(str(path)) as raw:
        _made_before_versioning(raw)
        raw.execute("drop view ops.kb_candidate_members")
        raw.execute(
            "create table ops.kb_candidate_members (report_date date not null, "
            "candidate_id varchar not null, ticket_id varchar not null, "
            "member_rank integer not null, similarity double not null)"
        )
        raw.execute(
            "insert into ops.kb_candidate_members values "
            "(?, 'C1', 'T2', 2, 0.5), (?, 'C1', 'T1', 1, 0.9), (?, 'C2', 'T3', 1, 0.7)",
            [day, day, day],
        )
    with warehouse.connect(_settings(path)) as con:
        lists = con.execute(
            "select candidate_id, ticket_ids, similarities "
            "from ops.kb_candidate_member_lists order by candidate_id"
        ).fetchall()
        members = con.execute(
            "select candidate_id, ticket_id, member_rank, similarity "
            "from ops.kb_candidate_members order by all"
        ).fetchall()
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = 'ops' and table_name = 'kb_candidate_members'"
        ).fetchone()
        ran = con.execute("select name from ops.schema_migrations where ran").fetchall()
    assert lists == [("C1", ["T1", "T2"], [0.9, 0.5]), ("C2", ["T3"], [0.7])]
    assert members == [("C1", "T1", 1, 0.9), ("C1", "T2", 2, 0.5), ("C2", "T3", 1, 0.7)]
    assert kind == ("VIEW",)
    assert ("kb_member_lists",) in ran


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    """A copy of the shipped sql/ folder to add migrations and schema to."""
    folder = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, folder)
    return folder


def test_a_new_migration_runs_once_and_a_schema_change_is_applied(
    tmp_path: Path, sql_copy: Path
) -> None:
    with warehouse.connect(_settings(tmp_path / "m.duckdb")) as con:
        (sql_copy / "migrations" / "0099_too_far.sql").write_text("select 1;\n")
        with pytest.raises(BacklogError, match="numbered"):
            warehouse.upgrade(con, sql_copy)
        (sql_copy / "migrations" / "0099_too_far.sql").unlink()
        next_version = len(MIGRATIONS) + 1
        (sql_copy / "migrations" / f"{next_version:04d}_add_note.sql").write_text(
            "alter table ops.loads add column if not exists note varchar;\n"
        )
        assert warehouse.upgrade(con, sql_copy) == ["add_note"]
        assert warehouse.upgrade(con, sql_copy) == []
        with (sql_copy / "schema" / "slack.sql").open("a") as handle:
            handle.write("\ncreate table if not exists ops.slack_extra (id integer);\n")
        assert warehouse.upgrade(con, sql_copy) == []
        assert "ops.slack_extra" in _tables(con)
        assert warehouse.recorded_state(con)[0] == next_version


def test_a_failing_migration_leaves_the_warehouse_as_it_was(tmp_path: Path, sql_copy: Path) -> None:
    with warehouse.connect(_settings(tmp_path / "f.duckdb")) as con:
        before = warehouse.recorded_state(con)
        (sql_copy / "migrations" / f"{len(MIGRATIONS) + 1:04d}_broken.sql").write_text(
            "create table ops.half_done (id integer);\nselect * from no_such_table;\n"
        )
        with pytest.raises(BacklogError, match=r"_broken\.sql"):
            warehouse.upgrade(con, sql_copy)
        assert warehouse.recorded_state(con) == before
        assert "ops.half_done" not in _tables(con)


def test_every_config_table_is_declared_in_sql_config() -> None:
    files = {path.stem for path in (warehouse.SQL_DIR / "config").glob("*.sql")}
    assert files == set(warehouse.config_rows(load_settings()))
    for path in (warehouse.SQL_DIR / "config").glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"-- config.{path.stem}: "), path
        *ddl, insert = warehouse.split_statements(text)
        assert ddl == [ddl[0]]
        assert ddl[0].startswith(f"create or replace table config.{path.stem}")
        assert insert.startswith(f"insert into config.{path.stem}")
        assert "?" not in insert


# --- the readers' copy ----------------------------------------------------------------------


def test_the_readers_copy_replaces_the_old_one_atomically_under_an_open_reader(
    tmp_path: Path,
) -> None:
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table t as select range as n from range(3)")
    first = warehouse.publish_copy(con, db, target)
    assert (first.path, first.size_bytes) == (target, target.stat().st_size)
    reader = duckdb.connect(str(target), read_only=True)  # an analyst's session
    con.execute("insert into t values (3)")
    # a stale write-ahead log beside the old copy is not replayed into the new one
    target.with_name(target.name + ".wal").write_bytes(b"not a wal")
    warehouse.publish_copy(con, db, target)
    con.close()
    assert reader.execute("select count(*) from t").fetchone() == (3,)  # its old copy
    reader.close()
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert fresh.execute("select count(*) from t").fetchone() == (4,)
    assert sorted(p.name for p in target.parent.iterdir()) == ["backlog-latest.duckdb"]


def test_a_copy_that_cannot_be_written_is_one_sentence_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    target.mkdir(parents=True)  # a folder where the copy should go: the rename fails
    with duckdb.connect(str(db)) as con, pytest.raises(BacklogError) as caught:
        warehouse.publish_copy(con, db, target)
    assert str(caught.value).startswith(f"Could not publish the readers' copy {target} ")
    assert str(caught.value).endswith("or set readers_copy = false.")
    assert [p.name for p in target.parent.iterdir()] == ["backlog-latest.duckdb"]


def _warehouse_of_one_table(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create table t as select range as n from range(3)")
    con.execute("checkpoint")
    return con


def test_a_warehouse_below_the_size_limit_is_copied(tmp_path: Path) -> None:
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    with _warehouse_of_one_table(db) as con:
        max_gb = (db.stat().st_size + 1) / readers.GB  # one byte above the warehouse
        copy = warehouse.publish_copy(con, db, target, max_gb)
    assert isinstance(copy, warehouse.PublishedCopy)
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert fresh.execute("select count(*) from t").fetchone() == (3,)


def test_above_the_size_limit_the_copy_is_skipped_in_one_sentence_and_the_stale_one_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where files cannot be cloned (ext4), a warehouse above the limit gets no copy; the
    old copy goes (with any write-ahead log beside it) so nobody reads its figures as
    today's; the warehouse is untouched and no temporary file is left."""
    monkeypatch.setattr(readers, "_clone", lambda source, destination: False)
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    with _warehouse_of_one_table(db) as con:
        warehouse.publish_copy(con, db, target)  # yesterday's copy, below any limit
        target.with_name(target.name + ".wal").write_bytes(b"a reader's log")
        size = db.stat().st_size
        skipped = warehouse.publish_copy(con, db, target, size / readers.GB / 2)
        again = warehouse.publish_copy(con, db, target, size / readers.GB / 2)
        assert con.execute("select count(*) from t").fetchone() == (3,)
    assert isinstance(skipped, warehouse.SkippedCopy)
    assert list(target.parent.iterdir()) == []
    shown, limit = warehouse.file_size(size), f"{size / readers.GB / 2:g}"
    assert skipped.message == (
        f"Readers' copy {target} not published: the warehouse is {shown}, above "
        f"readers_copy_max_gb = {limit}, and a copy would write another {shown} every run; "
        "the old copy was removed, so nobody reads stale figures from it. Raise "
        f"readers_copy_max_gb in backlog.toml to publish it, or open {db} read-only between runs."
    )
    assert isinstance(again, warehouse.SkippedCopy)
    assert "; there is no old copy. Raise readers_copy_max_gb" in again.message


def test_switched_off_the_old_copy_is_removed_and_said_once(tmp_path: Path) -> None:
    """`readers_copy = false` after runs that published one: the old copy (and a reader's
    write-ahead log beside it) goes, so nobody reads its figures as today's; said once."""
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    with _warehouse_of_one_table(db) as con:
        warehouse.publish_copy(con, db, target)  # an earlier run's copy
        target.with_name(target.name + ".wal").write_bytes(b"a reader's log")
        removed = warehouse.remove_copy(target)
        again = warehouse.remove_copy(target)
        assert con.execute("select count(*) from t").fetchone() == (3,)
    assert isinstance(removed, warehouse.RemovedCopy)
    assert removed.message == (
        f"Readers' copy {target} removed: readers_copy = false in backlog.toml, so no run "
        "would replace it, and a notebook or a dashboard on it would show its day's figures "
        "as today's. Set readers_copy = true to publish it again."
    )
    assert list(target.parent.iterdir()) == []
    assert again is None  # nothing to remove: nothing said


def test_a_file_system_that_clones_files_gets_the_copy_at_any_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """btrfs and XFS clone a file without copying its data: no size limit applies."""

    def clone(source: Path, destination: Path) -> bool:
        shutil.copyfile(source, destination)  # what a clone gives, on a file system without
        return True

    monkeypatch.setattr(readers, "_clone", clone)
    db, target = tmp_path / "backlog.duckdb", tmp_path / "out" / "backlog-latest.duckdb"
    with _warehouse_of_one_table(db) as con:
        copy = warehouse.publish_copy(con, db, target, 1e-9)
    assert isinstance(copy, warehouse.PublishedCopy)
    assert copy.cloned
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert fresh.execute("select count(*) from t").fetchone() == (3,)


def test_on_this_file_system_a_clone_that_fails_leaves_an_empty_file_to_copy_into(
    tmp_path: Path,
) -> None:
    source, destination = tmp_path / "a", tmp_path / "b"
    source.write_bytes(b"warehouse")
    if readers._clone(source, destination):  # btrfs, XFS: the clone is the copy
        assert destination.read_bytes() == b"warehouse"
    else:
        assert destination.read_bytes() == b""


def _keyed(path: Path, rows: bool = True) -> None:
    """A warehouse whose raw tables have the old primary key (load_id, row_number), with
    a row each (or none), from before migration 0004."""
    warehouse.connect(_settings(path)).close()
    with duckdb.connect(str(path)) as raw:
        for table in ("raw.tickets", "raw.events"):
            columns = raw.execute(f"select * from {table} limit 0").description
            raw.execute(f"drop table {table}")
            raw.execute(
                f"create table {table} (load_id varchar not null, export_date date not null, "
                "source_file varchar not null, row_number bigint not null, record json, "
                "line_number bigint, raw_text varchar, primary key (load_id, row_number))"
            )
            assert [c[0] for c in columns] == [
                c[0] for c in raw.execute(f"select * from {table} limit 0").description
            ]
            if rows:
                raw.execute(
                    f"insert into {table} values ('L1', '2026-03-02', 'f.csv', 1, '{{}}', 2, 'x')"
                )
        # back to before 0004 (and the migrations after it)
        raw.execute("delete from ops.schema_migrations where version >= 4")


def test_keyed_raw_tables_lose_their_key_and_keep_their_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keyed.duckdb"
    _keyed(path)
    caplog.set_level(logging.WARNING, logger="backlog")
    with warehouse.connect(_settings(path)) as con:
        ran = con.execute("select name from ops.schema_migrations where ran").fetchall()
        keys = con.execute(
            "select count(*) from duckdb_constraints() where schema_name = 'raw' "
            "and constraint_type = 'PRIMARY KEY'"
        ).fetchone()
        rows = [con.execute(f"select * from raw.{t}").fetchall() for t in ("tickets", "events")]
    assert ran == [("raw_without_primary_keys",)]
    assert keys == (0,)
    assert rows == [[("L1", date(2026, 3, 2), "f.csv", 1, "{}", 2, "x")]] * 2
    # one line says what is rewritten, why, how long it may take, before it starts
    said = [r.getMessage() for r in caplog.records if r.name == migrations.NOTICES_LOGGER]
    assert len(said) == 1
    assert said[0].startswith("Upgrading the warehouse once: rewriting its raw tables (2 rows")
    assert "a minute per GB" in said[0]
    assert "{" not in said[0]


def test_keyed_raw_tables_without_rows_are_rebuilt_without_a_word(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keyed.duckdb"
    _keyed(path, rows=False)
    caplog.set_level(logging.WARNING, logger="backlog")
    with warehouse.connect(_settings(path)) as con:
        ran = con.execute("select name from ops.schema_migrations where ran").fetchall()
    assert ran == [("raw_without_primary_keys",)]
    assert not [r for r in caplog.records if r.name == migrations.NOTICES_LOGGER]


def test_keyed_staging_tables_lose_their_key_and_keep_their_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A warehouse whose loaded staging tables have the old key (load_id, row_number)."""
    path = tmp_path / "keyed.duckdb"
    warehouse.connect(_settings(path)).close()
    tables = ("staging.stg_ticket_versions", "staging.stg_events")
    with duckdb.connect(str(path)) as raw:
        for table in tables:
            (ddl,) = raw.execute(
                "select sql from duckdb_tables() where schema_name || '.' || table_name = ?",
                [table],
            ).fetchone()
            raw.execute(f"drop table {table}")
            columns = ddl.strip().removesuffix(";").removesuffix(")")
            raw.execute(f"{columns}, primary key (load_id, row_number))")
            raw.execute(
                f"insert into {table} (load_id, export_date, row_number, ticket_id, "
                + (
                    "event_id, occurred_at, kind"
                    if table.endswith("events")
                    else "created_at, updated_at, status, requester_id"
                )
                + ") values ('L1', '2026-03-02', 1, 'T1', "
                + (
                    "'E1', '2026-03-02 10:00+00', 'comment'"
                    if table.endswith("events")
                    else "'2026-03-02 10:00+00', '2026-03-02 11:00+00', 'open', 'R1'"
                )
                + ")"
            )
        keys = "select count(*) from duckdb_constraints() where schema_name = 'staging' "
        keys += "and constraint_type = 'PRIMARY KEY'"
        assert raw.execute(keys).fetchone() == (2,)
        before = [raw.execute(f"select * from {table}").fetchall() for table in tables]
        raw.execute("delete from ops.schema_migrations where name = 'staging_without_primary_keys'")
    caplog.set_level(logging.WARNING, logger="backlog")
    with warehouse.connect(_settings(path)) as con:
        ran = con.execute("select name from ops.schema_migrations where ran").fetchall()
        assert con.execute(keys).fetchone() == (0,)
        after = [con.execute(f"select * from {table}").fetchall() for table in tables]
    assert ran == [("staging_without_primary_keys",)]
    assert after == before
    assert len(before[0]) == len(before[1]) == 1
    said = [r.getMessage() for r in caplog.records if r.name == migrations.NOTICES_LOGGER]
    assert len(said) == 1
    assert said[0].startswith(
        "Upgrading the warehouse once: rewriting its loaded staging tables (2 rows"
    )
    assert "{" not in said[0]
