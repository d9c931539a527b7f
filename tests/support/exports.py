"""Write tiny canonical export folders for tests: one row per dict, CSV or JSONL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from tasks.contract import CANONICAL_COLUMNS

# every canonical column, as ingest defines them (tasks/contract.py)
TICKET_COLUMNS = CANONICAL_COLUMNS["tickets"]
EVENT_COLUMNS = CANONICAL_COLUMNS["events"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def tk(tid: str, created: str, updated: str | None, status: str, requester: str = "r1", **kw):
    row = {
        "ticket_id": tid,
        "created_at": created,
        "updated_at": updated or created,
        "status": status,
        "requester_id": requester,
    }
    row.update(kw)
    return row


def solved(row: dict, instant: str) -> dict:
    """The same ticket row as exported after it was solved at `instant` (ISO, UTC)."""
    return {**row, "updated_at": instant, "status": "solved", "solved_at": instant}


def ev(eid, tid, at, kind, frm=None, to=None, role=None, public=None, body=None):
    return {
        "event_id": eid,
        "ticket_id": tid,
        "occurred_at": at,
        "kind": kind,
        "from_value": frm,
        "to_value": to,
        "author_id": None,
        "author_role": role,
        "public": public,
        "body": body,
    }


def _write(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            for row in rows:
                out = {}
                for c in columns:
                    v = row.get(c)
                    if isinstance(v, list):
                        v = ";".join(v)
                    elif isinstance(v, bool):
                        v = "true" if v else "false"
                    out[c] = "" if v is None else v
                w.writerow(out)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                r = dict(row)
                if isinstance(r.get("tags"), str):
                    r["tags"] = [t for t in r["tags"].split(";")]
                fh.write(json.dumps(r) + "\n")


def write_tickets(root: Path, day: str, rows: list[dict], fmt: str = "csv") -> None:
    _write(root / day / f"tickets.{fmt}", rows, TICKET_COLUMNS)


def write_events(root: Path, day: str, rows: list[dict], fmt: str = "csv") -> None:
    _write(root / day / f"events.{fmt}", rows, EVENT_COLUMNS)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
