"""Two implementations of the figures of docs/metrics.md behind one signature, for the same tests.

`oracle`: tests/support/oracle.py, plain Python written from docs/metrics.md alone.
`warehouse`: the product: ingest -> models -> digest on a temporary DuckDB file.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from tasks import models, warehouse
from tasks.config import DEFAULT_ACK_PATTERNS, SlaTarget, _default_sla, load_settings
from tasks.reports import digest
from tests.support.loading import load_exports

try:
    import oracle
except ImportError:  # tests/ imported as a package
    from tests.support import oracle


def _sla(overrides: dict | None) -> dict[str, SlaTarget]:
    targets = _default_sla()
    for priority, value in (overrides or {}).items():
        current = targets.get(priority, targets["normal"])
        targets[priority] = SlaTarget(
            first_reply_minutes=value.get("first_reply_minutes", current.first_reply_minutes),
            resolution_minutes=value["resolution_hours"] * 60
            if "resolution_hours" in value
            else current.resolution_minutes,
        )
    return targets


# Warehouses this test process built, by the exports' files (names and bytes) and the
# settings: the cases call the pipeline several times on the same exports (a day and the day
# before, the digest and the status history, one scenario in several tests). The digest and
# the history only read the warehouse, so the same files and settings load and build once.
_BUILT: dict[tuple[str, str], Path] = {}
# The folder that holds them (one per test process), removed when the process exits.
_FOLDER: list[Path] = []


def _new_folder() -> Path:
    """A new folder for one warehouse, in this process's folder (made on first use)."""
    if not _FOLDER:
        _FOLDER.append(Path(tempfile.mkdtemp(prefix="backlog-test-")))
        atexit.register(shutil.rmtree, _FOLDER[0], ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=_FOLDER[0]))


def _exports_digest(exports_root: Path) -> str:
    """The export files under `exports_root`: their paths below it and their bytes."""
    found = hashlib.sha256()
    for path in sorted(p for p in exports_root.rglob("*") if p.is_file()):
        found.update(str(path.relative_to(exports_root)).encode() + b"\0")
        found.update(hashlib.sha256(path.read_bytes()).digest())
    return found.hexdigest()


def _load(
    exports_root: Path, report_timezone: str, source_timezone: str, **settings: Any
) -> tuple[Any, Any]:
    """A connection to the warehouse of these exports and settings (loaded and built once)."""
    chosen = {"report_timezone": report_timezone, "source_timezone": source_timezone, **settings}
    key = (_exports_digest(exports_root), repr(sorted(chosen.items())))
    folder = _BUILT.get(key)
    if folder is not None:
        cfg = load_settings(db_path=folder / "backlog.duckdb", out_dir=folder / "out", **chosen)
        return warehouse.connect(cfg), cfg
    folder = _new_folder()
    cfg = load_settings(db_path=folder / "backlog.duckdb", out_dir=folder / "out", **chosen)
    con = warehouse.connect(cfg)
    load_exports(con, exports_root)
    models.build_models(con)
    _BUILT[key] = folder
    return con, cfg


class Warehouse:
    """The product's pipeline, without Prefect."""

    name = "warehouse"

    @staticmethod
    def compute(
        exports_root: Path,
        day: date,
        *,
        report_timezone: str = "UTC",
        source_timezone: str = "UTC",
        sla: dict | None = None,
        ack_patterns: list[str] | None = None,
        ignore_tags: tuple[str, ...] = (),
    ) -> dict:
        con, cfg = _load(
            exports_root,
            report_timezone,
            source_timezone,
            sla=_sla(sla),
            ack_patterns=DEFAULT_ACK_PATTERNS if ack_patterns is None else ack_patterns,
            drivers={"ignore_tags": list(ignore_tags)},
        )
        with con:
            return digest.build_digest(con, day, cfg)

    @staticmethod
    def history(exports_root: Path, *, source_timezone: str = "UTC") -> dict[str, list]:
        con, _ = _load(exports_root, "UTC", source_timezone)
        with con:
            rows = con.execute(
                "select ticket_id, changed_at, from_status, to_status "
                "from intermediate.int_ticket_status_history order by ticket_id, status_seq"
            ).fetchall()
        result: dict[str, list] = {}
        for ticket_id, at, from_status, to_status in rows:
            result.setdefault(ticket_id, []).append((at, from_status, to_status))
        return result


class Oracle:
    """The independent reference implementation."""

    name = "oracle"
    compute = staticmethod(oracle.compute_digest_figures)
    history = staticmethod(oracle.status_history)


IMPLEMENTATIONS = [Oracle, Warehouse]
