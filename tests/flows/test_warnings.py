"""Every `backlog` command prints a `backlog` warning the same way: one `Warning:` line on
stderr. The warning here is a migration's notice, said before it rewrites a table, which
the commands that open the warehouse without a flow (`kb`, `pull`) printed bare."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks import warehouse
from tasks.config import load_settings
from tests.flows.test_cli import backlog
from tests.support.fake_zendesk import FakeZendesk, synthetic_account

NOTICE = "Warning: Upgrading the warehouse once: rewriting its raw tables (2 rows"


def _before_0004(path: Path) -> None:
    """A warehouse whose raw tables still have the primary key migration 0004 drops, with
    a row each: connecting to it runs 0004, which says so first."""
    warehouse.connect(load_settings(db_path=path)).close()
    with duckdb.connect(str(path)) as raw:
        for table in ("raw.tickets", "raw.events"):
            raw.execute(f"drop table {table}")
            raw.execute(
                f"create table {table} (load_id varchar not null, export_date date not null, "
                "source_file varchar not null, row_number bigint not null, record json, "
                "line_number bigint, raw_text varchar, primary key (load_id, row_number))"
            )
            raw.execute(
                f"insert into {table} values ('L1', '2026-03-02', 'f.csv', 1, '{{}}', 2, 'x')"
            )
        raw.execute("delete from ops.schema_migrations where version >= 4")


def _said(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Upgrading the warehouse once" in line]


def test_kb_prints_a_migration_notice_as_a_warning_line(tmp_path):
    db = tmp_path / "old.duckdb"
    _before_0004(db)
    done = backlog("kb", "list", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line[: len(NOTICE)] for line in _said(done.stderr)] == [NOTICE]
    again = backlog("kb", "list", "--db", str(db), cwd=tmp_path)
    assert _said(again.stderr) == []  # once: the warehouse is upgraded


@pytest.mark.parametrize("debug", [False, True])
def test_pull_prints_a_migration_notice_as_a_warning_line(tmp_path, debug):
    db, day = tmp_path / "old.duckdb", date(2026, 3, 2)
    _before_0004(db)
    with FakeZendesk(synthetic_account([day], per_day=2)) as fake:
        done = backlog(
            *(["--debug"] if debug else []),
            "pull",
            "--source",
            "zendesk",
            "--exports",
            str(tmp_path / "exports"),
            "--date",
            day.isoformat(),
            "--db",
            str(db),
            cwd=tmp_path,
            variables=fake.environ(),
        )
    assert done.returncode == 0, done.stderr
    said = _said(done.stderr)
    assert len(said) == 1
    if not debug:  # --debug shows the records as logged
        assert said[0].startswith(NOTICE)
