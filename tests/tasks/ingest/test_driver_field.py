"""A driver field no export has is said in one sentence, with the fields that exist."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tasks import ingest
from tasks.config import load_settings


def _ledger(con: duckdb.DuckDBPyConnection, extra_columns: list[str]) -> None:
    """One loaded tickets file whose unknown columns were `extra_columns`."""
    con.execute(
        "insert into ops.loads values "
        "(?, ?, 'tickets', 'd/tickets.csv', 'csv', 'x', 1, 1, 0, ?, ?)",
        [f"load-{len(extra_columns)}", date(2026, 3, 2), extra_columns, datetime.now(UTC)],
    )


def _settings(tmp_path: Path, dimension: str):
    config = tmp_path / "backlog.toml"
    config.write_text(f'[drivers]\ndimension = "{dimension}"\n', encoding="utf-8")
    return load_settings(config, db_path=tmp_path / "backlog.duckdb")


def test_a_misspelt_driver_field_names_the_file_the_setting_and_the_fields(con, tmp_path):
    _ledger(con, ["product_area"])
    problem = ingest.driver_field_problem(con, _settings(tmp_path, "field:priorty"))
    assert problem == (
        'Drivers not counted: `drivers.dimension = "field:priorty"` in '
        f"{tmp_path / 'backlog.toml'} names a field no loaded ticket has (did you mean "
        '"field:priority"?), so the digest has no drivers; set it to "tags" or to '
        '"field:<name>" with one of the ticket fields: assignee_id, channel, created_at, '
        "customer_tier, description, first_reply_at, group_name, organization_id, priority, "
        "product_area, requester_id, satisfaction, solved_at, status, subject, ticket_id, "
        "type, updated_at."
    )
    close_to_extra = ingest.driver_field_problem(con, _settings(tmp_path, "field:product_aera"))
    assert '(did you mean "field:product_area"?)' in close_to_extra


@pytest.mark.parametrize(
    "dimension",
    ["tags", "field:priority", "field:type", "field:product_area", "field:in_rows_only"],
)
def test_a_field_that_exists_or_tags_is_no_problem(con, tmp_path, dimension):
    _ledger(con, ["product_area"])
    # a key a helpdesk's pages held beyond the columns its ledger row names
    con.execute(
        "insert into staging.stg_ticket_versions (load_id, export_date, row_number, ticket_id, "
        "created_at, updated_at, status, requester_id, extra) values ('load-1', '2026-03-02', "
        "1, 't1', now(), now(), 'open', 'r1', '{\"in_rows_only\": \"x\"}')"
    )
    assert ingest.driver_field_problem(con, _settings(tmp_path, dimension)) is None


def test_nothing_loaded_yet_says_nothing(con, tmp_path):
    assert ingest.driver_field_problem(con, _settings(tmp_path, "field:priorty")) is None


def test_the_variable_is_named_when_the_setting_came_from_it(con, tmp_path, monkeypatch):
    _ledger(con, [])
    monkeypatch.setenv("BACKLOG_DRIVERS__DIMENSION", "field:chanel")
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    problem = ingest.driver_field_problem(con, settings)
    assert 'dimension = "field:chanel"` in BACKLOG_DRIVERS__DIMENSION names' in problem
    assert '(did you mean "field:channel"?)' in problem


def test_a_canonical_column_is_read_by_its_export_name(tmp_path):
    # `type` is staged as `ticket_type`: the models read the staged name (it matched nothing)
    assert _settings(tmp_path, "field:type").drivers.dimension == "field:ticket_type"
    assert _settings(tmp_path, "field:channel").drivers.dimension == "field:channel"
