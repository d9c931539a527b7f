"""Find and read the SQL files shipped in `sql/`."""

from __future__ import annotations

import re
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"

_COMMENT = re.compile(r"--[^\n]*")
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")


def read_sql(relative: str) -> str:
    """The text of a file under `sql/`."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def split_statements(text: str) -> list[str]:
    """The statements of a SQL file, comments left out (each ends with `;` at a line end)."""
    return [part.strip() for part in _STATEMENT_END.split(_COMMENT.sub("", text)) if part.strip()]
