"""Failed and missing days through the flows: nothing outside `ops` changes, the digest says
what failed and shows the last complete day's figures, and every command exits 1 for it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.backfill import backfill
from flows.daily_backlog import daily_backlog
from flows.digest import digest as digest_flow
from tasks import warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import IncompleteDataError
from tasks.render import blocks
from tasks.render.markdown import render_markdown

START = date(2026, 2, 2)
DAYS = 6
LAST_GOOD = START + timedelta(days=DAYS - 2)  # 2026-02-06
BAD = START + timedelta(days=DAYS - 1)  # 2026-02-07

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Exports of 6 days; a warehouse with the first 5 loaded and the 5th's digest built,
    and the backfill's output folder (digest-2026-02-06.* as the run wrote them)."""
    work = tmp_path_factory.mktemp("failed")
    root = work / "exports"
    generate_exports(root, SyntheticConfig(start=START, days=DAYS, seed=5, tickets_per_day=20))
    db = work / "backlog.duckdb"
    backfill(exports=root, start=START, end=LAST_GOOD, db=db, out=work / "out")
    return root, db, work / "out"


def _without_created_at(path: Path) -> str:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    columns = [c for c in rows[0] if c != "created_at"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


FATAL = {
    "missing_column": (_without_created_at, "lacks the required column created_at"),
    "empty_file": (lambda path: "", "is empty"),
    "semicolons": (
        lambda path: path.read_text(encoding="utf-8").replace(",", ";"),
        "its header is semicolon-separated",
    ),
}


def _dump(db: Path) -> dict[str, list[str]]:
    """Every table outside `ops`: its rows as sorted text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'ops' and table_type = 'BASE TABLE' "
            "order by table_schema, table_name"
        ).fetchall()
        return {
            f"{schema}.{name}": sorted(
                str(row) for row in con.execute(f'select * from "{schema}"."{name}"').fetchall()
            )
            for schema, name in tables
        }
    finally:
        con.close()


def _digest_files(out: Path, day: date) -> dict[str, bytes]:
    return {
        suffix: (out / f"digest-{day}.{suffix}").read_bytes()
        for suffix in ("json", "md", "blocks.json")
    }


@pytest.mark.parametrize("case", sorted(FATAL))
def test_a_fatal_file_changes_nothing_outside_ops(loaded, tmp_path, case):
    source, db_before, backfilled = loaded
    root, db, out = tmp_path / "exports", tmp_path / "backlog.duckdb", tmp_path / "out"
    shutil.copytree(source, root)
    shutil.copy(db_before, db)
    make, says = FATAL[case]
    tickets = root / BAD.isoformat() / "tickets.csv"
    tickets.write_text(make(tickets), encoding="utf-8")

    previous = _digest_files(backfilled, LAST_GOOD)  # as the backfill's last day wrote them
    before = _dump(db)

    state = daily_backlog(exports=root, day=BAD, db=db, out=out, return_state=True)
    assert state.is_failed()
    with pytest.raises(IncompleteDataError) as error:
        state.result()
    assert str(error.value).startswith(f"Data for {BAD} is incomplete: {tickets}")
    assert says in str(error.value)

    after = _dump(db)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} changed on a failed day"
    # the previous day's digest, rebuilt after the failed day, is the run's byte for byte
    with pytest.raises(IncompleteDataError):  # BAD's digest exits failed...
        digest_flow(day=BAD, db=db, out=out)
    digest_flow(day=LAST_GOOD, db=db, out=out)  # ...the previous day's does not
    assert _digest_files(out, LAST_GOOD) == previous

    # the failed day's digest: the failure first, once; the last complete day's figures
    failed = json.loads((out / f"digest-{BAD}.json").read_text())
    assert failed["date"] == BAD.isoformat()
    assert failed["figures_as_of"] == LAST_GOOD.isoformat()
    assert failed["data_quality"]["status"] == "fail"
    assert says in failed["data_quality"]["summary"]
    shown = json.loads(previous["json"])
    for key in ("backlog", "flow", "aging", "rates", "sla"):
        assert failed[key] == shown[key]  # the figures of 2026-02-06, not None, not 0
    text = (out / f"digest-{BAD}.md").read_text()
    first, _, title = text.splitlines()[:3]
    assert first == f"**{failed['data_quality']['summary']}**"
    assert title == f"# Backlog digest, {BAD} (UTC): figures of {LAST_GOOD}, the last complete day"
    assert text.count(says) == 1
    assert "None" not in text
    slack = json.loads((out / f"digest-{BAD}.blocks.json").read_text())
    assert json.dumps(slack["blocks"]).count(says) == 1  # `text` is the notification
    assert slack["text"].startswith(failed["data_quality"]["summary"])


def test_a_first_run_with_a_fatal_file_says_what_failed(tmp_path):
    root = tmp_path / "exports"
    generate_exports(root, SyntheticConfig(start=START, days=1, seed=5, tickets_per_day=10))
    tickets = root / START.isoformat() / "tickets.csv"
    tickets.write_text(_without_created_at(tickets), encoding="utf-8")
    db, out = tmp_path / "new.duckdb", tmp_path / "out"
    state = daily_backlog(exports=root, day=START, db=db, out=out, return_state=True)
    with pytest.raises(IncompleteDataError) as error:
        state.result()
    message = str(error.value)
    assert message.startswith(f"Data for {START} is incomplete: {tickets} lacks the required")
    assert message.endswith("load the day again.")
    # no figures at all: the digest says so, without a None or a made-up zero
    failed = error.value.digest
    assert failed["figures_as_of"] is None
    text = render_markdown(failed)
    assert text.splitlines()[0] == f"**{message}**"
    assert "No day has loaded completely yet, so there are no figures to show." in text
    assert "None" not in text
    assert " 0 " not in text
    payload = blocks.build_payload(failed)
    assert json.dumps(payload["blocks"]).count("lacks the required") == 1
    assert "None" not in json.dumps(payload)
    # `backlog digest --date D` agrees: same digest, exit failed
    with pytest.raises(IncompleteDataError):
        digest_flow(day=START, db=db, out=out)
    settings = load_settings(db_path=db, out_dir=out)
    with warehouse.connect(settings) as con:
        assert con.execute("select count(*) from ops.model_builds").fetchone()[0] == 0


def test_a_backfill_over_a_missing_day_names_it_and_exits_failed(tmp_path):
    root = tmp_path / "exports"
    generate_exports(root, SyntheticConfig(start=START, days=DAYS, seed=5, tickets_per_day=20))
    gone = START + timedelta(days=2)  # 2026-02-04
    shutil.rmtree(root / gone.isoformat())
    db, out = tmp_path / "backlog.duckdb", tmp_path / "out"
    end = START + timedelta(days=DAYS - 1)
    state = backfill(exports=root, start=START, end=end, db=db, out=out, return_state=True)
    assert state.is_failed()
    with pytest.raises(IncompleteDataError) as error:
        state.result()
    assert str(error.value) == (
        f"1 of 6 days from {START} to {end} did not load (no export for {gone}); the other "
        "days loaded, so add or fix that day's export and load it again (each day's digest "
        "says what failed)."
    )
    # the last day's digest was written, and says the history has a gap
    last = json.loads((out / f"digest-{end}.json").read_text())
    assert last["data_quality"]["status"] == "warn"
    assert any(
        check.startswith(f"The history before {end} has a gap: no complete export for {gone};")
        for check in last["data_quality"]["checks_failed"]
    )
    # the missing day's digest: fail, with the reason; `backlog digest` exits failed too
    with pytest.raises(IncompleteDataError) as missing:
        digest_flow(day=gone, db=db, out=out)
    dq = missing.value.digest["data_quality"]
    assert dq["status"] == "fail"
    assert dq["summary"].startswith(
        f"Data for {gone} is incomplete: no export for {gone}: the folder {root / gone.isoformat()}"
    )
    # the command it names runs as written (--exports is required)
    assert dq["summary"].endswith(f"(`backlog run --exports {root} --date {gone}`).")
    assert missing.value.digest["figures_as_of"] == (gone - timedelta(days=1)).isoformat()
    # `backlog run --date <missing day>` agrees: it fails with the same reason
    state = daily_backlog(exports=root, day=gone, db=db, out=out, return_state=True)
    assert state.is_failed()
    with pytest.raises(IncompleteDataError) as run:
        state.result()
    assert str(run.value) == dq["summary"]
