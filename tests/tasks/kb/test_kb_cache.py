"""The KB refresh's kept per-ticket text work (ops.kb_ticket_texts) changes no result.

One warehouse per module: 23 days of a generated team (40 tickets a day), a 7-day KB
window. Ten mornings are run one after the other as `backlog run` does (load the day,
build, refresh with what earlier mornings kept); each morning a copy of the warehouse
without any kept text is refreshed cold, and every KB table of the two must be equal.
The Great Expectations suite is skipped during the loads (as in test_kb.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tasks import ingest, kb, models, warehouse
from tasks.config import Settings, load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.kb import textcache
from tasks.quality import rows as validate
from tests.support.tables import build_kb_reads, differing_rows

START = date(2026, 2, 2)
WINDOW = 7
FIRST_MORNING = START + timedelta(days=2 * WINDOW - 1)  # the previous window is covered
MORNINGS = 10
# every KB table a refresh writes, bar the kept texts; the time a state was set is the clock's
KB_TABLES = {
    "ops.kb_candidates": "* exclude (state_changed_at)",
    "ops.kb_candidate_days": "*",
    "ops.kb_candidate_member_lists": "*",
    "ops.kb_models": "*",
    "ops.kb_model_clusters": "*",
    "ops.kb_ticket_labels": "*",
    "marts.fct_kb_candidates": "*",
    "marts.fct_kb_candidate_tickets": "*",
}


@dataclass
class Mornings:
    tmp: Path
    exports: Path
    db: Path  # the warehouse after the last morning (with kept texts)
    # per morning: candidates, tables differing from the cold copy's, texts prepared,
    # tickets of the window and of the window before, rows written that morning
    log: list[dict[str, Any]]


def _settings(db: Path, tmp: Path, **kb_settings: Any) -> Settings:
    return load_settings(db_path=db, out_dir=tmp / "out", kb={"window_days": WINDOW, **kb_settings})


def _differences(a: Path, b: Path) -> dict[str, int]:
    """Per KB table, rows in one warehouse and not the other (both ways, duplicates count)."""
    con = duckdb.connect(str(a), read_only=True)
    try:
        con.execute(f"attach '{b}' as other (read_only)")
        found = {}
        for table, columns in KB_TABLES.items():
            count = differing_rows(con, table, f"other.{table}", columns)
            if count:
                found[table] = count
        return found
    finally:
        con.close()


def _refresh(db: Path, tmp: Path, day: date, **kb_settings: Any) -> list[kb.Candidate]:
    settings = _settings(db, tmp, **kb_settings)
    con = warehouse.connect(settings)
    try:
        return kb.refresh_candidates(con, day, settings)
    finally:
        con.close()


def _cold_copy(db: Path, copy: Path, tmp: Path) -> None:
    """A copy of the warehouse that keeps no text: its refresh computes everything."""
    shutil.copyfile(db, copy)
    con = warehouse.connect(_settings(copy, tmp))
    con.execute("delete from ops.kb_ticket_texts")
    con.close()


@pytest.fixture(scope="module")
def mornings(tmp_path_factory: pytest.TempPathFactory) -> Mornings:
    tmp = tmp_path_factory.mktemp("kb_cache")
    exports = tmp / "exports"
    last = FIRST_MORNING + timedelta(days=MORNINGS - 1)
    generate_exports(
        exports, SyntheticConfig(start=START, days=(last - START).days + 1, fmt="parquet")
    )
    db, cold = tmp / "backlog.duckdb", tmp / "cold.duckdb"
    days = {found.export_date: found for found in ingest.discover_exports(exports)}
    prepared = []
    real_prepare = textcache.prepare

    def counting_prepare(text: str | None) -> str:
        prepared.append(text)
        return real_prepare(text)

    log = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "_run_suite", lambda *a, **k: None, raising=False)
        patch.setattr(textcache, "prepare", counting_prepare)
        con = warehouse.connect(_settings(db, tmp))
        for day in sorted(days):
            if day <= FIRST_MORNING:
                ingest.load_day(con, days[day], exports)
        build_kb_reads(con)
        con.close()
        for n in range(MORNINGS):
            day = FIRST_MORNING + timedelta(days=n)
            if n:
                con = warehouse.connect(_settings(db, tmp))
                ingest.load_day(con, days[day], exports)
                build_kb_reads(con)
                con.close()
            _cold_copy(db, cold, tmp)
            prepared.clear()
            found = _refresh(db, tmp, day)
            texts_prepared = len(prepared)
            _refresh(cold, tmp, day)
            con = duckdb.connect(str(db), read_only=True)
            written = con.execute(
                "select count(*) from ops.kb_ticket_texts where written_on = ?", [day]
            ).fetchone()[0]
            con.close()
            log.append(
                {
                    "day": day,
                    "candidates": len(found),
                    "differences": _differences(db, cold),
                    "texts_prepared": texts_prepared,
                    "written": written,
                }
            )
    return Mornings(tmp, exports, db, log)


def test_every_morning_the_kept_texts_give_what_a_cold_refresh_gives(mornings: Mornings) -> None:
    assert len(mornings.log) == MORNINGS
    assert all(morning["candidates"] >= 3 for morning in mornings.log)  # something to compare
    assert [m["differences"] for m in mornings.log] == [{}] * MORNINGS


def test_after_the_first_morning_only_new_or_changed_tickets_are_prepared(
    mornings: Mornings,
) -> None:
    first, *later = mornings.log
    con = duckdb.connect(str(mornings.db), read_only=True)
    kept = con.execute("select count(*) from ops.kb_ticket_texts").fetchone()[0]
    con.close()
    # the first morning prepares subject, description and resolution of every ticket of
    # both windows (about 7 x 30 solved a day, twice): what it writes is all it prepared
    assert first["texts_prepared"] == 3 * first["written"] > 3 * 200
    for morning in later:
        # one day's newly solved (or changed) tickets: far fewer than the two windows
        # (measured: 2 to 56 tickets against 472). A morning whose boilerplate sentences
        # changed writes every row again with new terms (measured once: 391 rows), but
        # prepares the new tickets only.
        assert 0 < morning["texts_prepared"] < first["texts_prepared"] / 5
        assert morning["written"] >= morning["texts_prepared"] / 3
    assert kept >= first["written"]


def _kept_rows(db: Path) -> dict[str, tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select ticket_id, input_key, cache_key, cached_at, subject from ops.kb_ticket_texts"
        ).fetchall()
    finally:
        con.close()
    return {row[0]: row[1:] for row in rows}


def test_a_changed_ticket_text_is_prepared_again_and_equals_a_cold_refresh(
    mornings: Mornings,
) -> None:
    db, cold = mornings.tmp / "changed.duckdb", mornings.tmp / "changed-cold.duckdb"
    shutil.copyfile(mornings.db, db)
    day = mornings.log[-1]["day"]
    before = _kept_rows(db)
    con = warehouse.connect(_settings(db, mornings.tmp))
    member = con.execute(
        "select ticket_ids[1] from ops.kb_candidate_member_lists where report_date = ? "
        "order by len(ticket_ids) desc limit 1",
        [day],
    ).fetchone()[0]
    # the ticket's subject as the staging model has it after a corrected export
    con.execute(
        "update staging.stg_tickets set subject = 'Invoice reissued to jane@example.com' "
        "where ticket_id = ?",
        [member],
    )
    con.close()
    _cold_copy(db, cold, mornings.tmp)
    _refresh(db, mornings.tmp, day)
    _refresh(cold, mornings.tmp, day)
    after = _kept_rows(db)

    assert _differences(db, cold) == {}
    assert after[member][0] != before[member][0]  # a new input key
    assert after[member][3] == "Invoice reissued to [email]"  # prepared: redacted
    unchanged = [tid for tid in before if tid != member and tid in after]
    assert unchanged
    assert all(after[tid] == before[tid] for tid in unchanged)  # not written again


def test_a_kb_setting_change_or_a_full_build_forgets_every_kept_text(mornings: Mornings) -> None:
    db = mornings.tmp / "settings.duckdb"
    shutil.copyfile(mornings.db, db)
    day = mornings.log[-1]["day"]
    before = _kept_rows(db)

    _refresh(db, mornings.tmp, day, min_shared_resolutions=2)
    changed = _kept_rows(db)
    assert {row[1] for row in changed.values()} != {row[1] for row in before.values()}
    assert len({row[1] for row in changed.values()}) == 1  # every row of the new settings
    assert all(row[2] > before[tid][2] for tid, row in changed.items() if tid in before)

    con = warehouse.connect(_settings(db, mornings.tmp))
    models.build_models(con, full=True)  # what --full-refresh does before the refresh
    con.close()
    _refresh(db, mornings.tmp, day, min_shared_resolutions=2)
    rebuilt = _kept_rows(db)
    assert set(rebuilt) == set(changed)
    assert all(rebuilt[tid][2] > changed[tid][2] for tid in rebuilt)  # all written again


def test_a_sampled_window_keeps_no_text(mornings: Mornings) -> None:
    db = mornings.tmp / "sampled.duckdb"
    shutil.copyfile(mornings.db, db)
    _refresh(db, mornings.tmp, mornings.log[-1]["day"], max_cluster_texts=50)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from ops.kb_ticket_texts").fetchone()[0] == 0
    con.close()


def test_split_checks_are_worked_out_once_and_change_no_cluster(
    mornings: Mornings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import sklearn.cluster

    from tasks.kb import clusters
    from tasks.kb.tickets import skip_pattern, solved_tickets

    db = mornings.tmp / "split.duckdb"
    shutil.copyfile(mornings.db, db)
    con = warehouse.connect(_settings(db, mornings.tmp))
    tickets = solved_tickets(con, mornings.log[-1]["day"], 2 * WINDOW, skip_pattern(con))
    con.close()
    fitted: list[str] = []

    class CountingKMeans(sklearn.cluster.KMeans):
        def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
            parts = (X.indptr, X.indices, X.data)
            fitted.append(hashlib.sha1(b"".join(p.tobytes() for p in parts)).hexdigest())
            return super().fit_predict(X)

    monkeypatch.setattr(sklearn.cluster, "KMeans", CountingKMeans)
    texts = (tickets.prepared_problems, tickets.prepared_resolutions)
    remembered = clusters.cluster_texts(*texts, prepared=True)
    once = list(fitted)
    fitted.clear()
    real_halves = clusters._halves
    monkeypatch.setattr(clusters, "_halves", lambda m, s, p, known: real_halves(m, s, p, {}))
    every_time = clusters.cluster_texts(*texts, prepared=True)

    assert len(remembered.members) >= 3
    assert len(once) == len(set(once))  # no cluster's rows split twice
    assert len(fitted) > len(once)  # the rounds do check clusters again
    assert remembered.labels.tolist() == every_time.labels.tolist()
    assert remembered.members == every_time.members
    assert remembered.keywords == every_time.keywords
    assert remembered.signatures == every_time.signatures
    assert remembered.similarity.tolist() == every_time.similarity.tolist()
