"""jira: not yet."""

from __future__ import annotations

from typing import Any


def pull(client: Any, window: Any, folder: Any, project: str | None) -> Any:
    """Not yet built."""
    raise NotImplementedError
