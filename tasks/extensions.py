"""Project-level extensions: more SQL models, metrics and expectations without a fork.

An extension folder (config `extensions_dirs`) holds any of:

    sql/<layer>/*.sql               models built with the shipped ones (staging,
                                    intermediate, marts), in dependency order
    sql/tests/*.sql                 invariants: each returns the rows that break it
    metrics.toml                    `[[metric]]` entries appended to the registry
    expectations/<entity>/*.json    expectations appended to the shipped suite of
                                    `<entity>` (`tickets` or `events`)

The configured extensions are part of the run's settings (`Settings.extensions`) and
travel as an explicit value to every function that reads them; a function given none
sees the shipped models, metrics and suites only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.errors import BacklogError


@dataclass(frozen=True)
class Extensions:
    """The extension folders of a project and how drivers are found."""

    dirs: tuple[Path, ...] = ()
    driver_dimension: str = "tags"

    def model_dirs(self) -> list[Path]:
        """Each folder's `sql/` (laid out like the shipped `sql/`)."""
        return [folder / "sql" for folder in self.dirs if (folder / "sql").is_dir()]

    def metric_files(self) -> list[Path]:
        """Each folder's `metrics.toml`, where there is one."""
        files = [folder / "metrics.toml" for folder in self.dirs]
        return [path for path in files if path.is_file()]

    def expectation_files(self, entity: str) -> list[Path]:
        """The extra expectation files of one entity's suite, folder by folder, by name."""
        return [
            path
            for folder in self.dirs
            for path in sorted((folder / "expectations" / entity).glob("*.json"))
        ]

    def expectations(self, entity: str) -> list[dict[str, Any]]:
        """The extra expectations of one entity, as GX 1.x expectation JSON."""
        found: list[dict[str, Any]] = []
        for path in self.expectation_files(entity):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise BacklogError(
                    f"Expectation file {path} is not valid JSON ({exc}); fix or remove it."
                ) from exc
            items = data.get("expectations", [data]) if isinstance(data, dict) else data
            for item in items:
                if not isinstance(item, dict) or "type" not in item:
                    raise BacklogError(
                        f"Expectation file {path} holds an entry without a `type`; write GX 1.x "
                        'expectation JSON, e.g. {"type": "expect_column_values_to_not_be_null", '
                        '"kwargs": {"column": "channel"}, "meta": {"severity": "quarantine"}}.'
                    )
                found.append(item)
        return found


NONE = Extensions()
