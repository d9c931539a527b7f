"""Storing a day's candidates in the ops tables and rebuilding the two KB marts."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tasks import models
from tasks.warehouse import read_sql


def store_day(con: duckdb.DuckDBPyConnection, day: date, rows: list[dict[str, Any]]) -> None:
    """Replace the day's results and update the candidates' state rows, in one transaction."""
    con.execute("begin transaction")
    try:
        forget_sampled(con, day)
        write_day(con, day, rows, sampled=False)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def write_day(
    con: duckdb.DuckDBPyConnection, day: date, rows: list[dict[str, Any]], *, sampled: bool
) -> None:
    """Replace the day's candidates and members (`sampled`: members from table kb_members),
    update the candidates' state rows and rebuild the marts."""
    day_only = {"report_date": day}
    con.execute(
        "delete from ops.kb_candidate_member_lists where report_date = $report_date", day_only
    )
    con.execute("delete from ops.kb_candidate_days where report_date = $report_date", day_only)
    if sampled:
        con.execute(
            "insert into ops.kb_candidate_member_lists select $report_date::date, candidate_id, "
            "list(ticket_id order by member_rank), list(similarity order by member_rank), "
            "from kb_members group by candidate_id",
            day_only,
        )
    else:
        con.execute(
            "insert into ops.kb_candidate_member_lists select $report_date::date, "
            "unnest($candidate_ids::varchar[]), unnest($ticket_ids::varchar[][]), "
            "unnest($similarities::double[][])",
            {
                "report_date": day,
                "candidate_ids": [r["candidate_id"] for r in rows],
                "ticket_ids": [list(r["ticket_ids"]) for r in rows],
                "similarities": [list(r["similarity"]) for r in rows],
            },
        )
    columns = {
        "candidate_id": "varchar[]",
        "title": "varchar[]",
        "keywords": "varchar[][]",
        "tickets": "integer[]",
        "tickets_previous": "integer[]",
        "trend": "varchar[]",
        "representative_ticket_id": "varchar[]",
        "cohesion": "double[]",
        "signature_terms": "varchar[][]",
        "signature_weights": "double[][]",
        "draft": "varchar[]",
    }
    values = {
        "representative_ticket_id": [r["ticket_ids"][0] for r in rows],
        "signature_terms": [list(r["signature"]) for r in rows],
        "signature_weights": [list(r["signature"].values()) for r in rows],
    }
    select = ", ".join(f"unnest(${name}::{kind})" for name, kind in columns.items())
    con.execute(
        f"insert into ops.kb_candidate_days select $report_date::date, {select}",
        {
            "report_date": day,
            **{n: values[n] if n in values else [r[n] for r in rows] for n in columns},
        },
    )
    con.execute(read_sql("queries/kb/upsert_candidates.sql"), {"report_date": day})
    build_marts(con, day)


def forget_sampled(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Remove what a run of `day` wrote for large windows (a re-run writes it again)."""
    day_only = {"report_date": day}
    con.execute("delete from ops.kb_ticket_labels where labelled_on = $report_date", day_only)
    con.execute("delete from ops.kb_model_clusters where model_date = $report_date", day_only)
    con.execute("delete from ops.kb_models where model_date = $report_date", day_only)


MARTS = ("fct_kb_candidates", "fct_kb_candidate_tickets")


def build_marts(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Rebuild the KB marts (`sql/marts/fct_kb_*.sql`) as of `day`, checked and commented as the
    runner does.

    The models read the day from session variable `kb_report_date` (else the latest KB
    day), so the marts hold the day just stored even when it is not the latest one or found
    no candidate; a later model build in this session keeps that day.
    """
    con.execute("set variable kb_report_date = $report_date::date", {"report_date": day})
    models.rebuild_models(con, [f"marts.{name}" for name in MARTS])


def latest_mart_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day the KB marts hold; None when they hold no candidate or do not exist."""
    try:
        return con.execute("select max(report_date) from marts.fct_kb_candidates").fetchone()[0]
    except duckdb.CatalogException:
        return None
