"""A required column missing from an export's header: the message points at the column
that looks like it, so the fix is one rename."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.adapters.files import check_required
from tasks.contract import CANONICAL_COLUMNS
from tasks.errors import BacklogError

TICKETS = list(CANONICAL_COLUMNS["tickets"])


def _said(columns: list[str]) -> str:
    with pytest.raises(BacklogError) as error:
        check_required(columns, Path("exports/2026-10-08/tickets.csv"), "tickets")
    return str(error.value)


def test_a_shortened_name_is_pointed_at():
    columns = ["created" if c == "created_at" else c for c in TICKETS]
    assert "lacks the required column created_at ('created' looks like 'created_at');" in (
        _said(columns)
    )


def test_a_misspelled_name_is_pointed_at():
    columns = ["requestor_id" if c == "requester_id" else c for c in TICKETS]
    assert "('requestor_id' looks like 'requester_id')" in _said(columns)


def test_another_canonical_column_is_never_the_hint():
    columns = [c for c in TICKETS if c != "created_at"]  # updated_at is close, and canonical
    said = _said(columns)
    assert "looks like" not in said
    assert said.startswith("exports/2026-10-08/tickets.csv lacks the required column created_at;")
