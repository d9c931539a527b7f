"""The sampled mode: a window above kb.max_cluster_texts clustered on a sample, the rest assigned.

A window of more than ``kb.max_cluster_texts`` tickets (a large team) is not clustered
whole each day: a sample of that many tickets (by a hash of the ticket id) is clustered
every ``kb.recluster_days`` days, each day's newly solved tickets are assigned to its
clusters by the same similarity rules, and labels are kept between runs
(ops.kb_models, ops.kb_model_clusters, ops.kb_ticket_labels), so a day's run reads and
vectorises that day's tickets only.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np

from tasks.config import Settings
from tasks.kb.clusters import cluster_texts
from tasks.kb.drafts import distinct_symptoms, one_line, pick_title, render_draft
from tasks.kb.identity import match_candidates
from tasks.kb.store import forget_sampled, write_day
from tasks.kb.text import cleaned, for_vectors
from tasks.kb.tickets import Tickets, covers_previous_window, list_window, solved_tickets, trend
from tasks.kb.vectors import ClusterParams, Model, problem_vectors
from tasks.warehouse import read_sql

# bump when a change to the method makes stored clusterings and labels unusable
_SAMPLED_VERSION = 1


_LABEL_BATCH = 20_000  # tickets read and assigned at a time


def refresh_sampled(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, skip: str, size: int
) -> list[dict[str, Any]]:
    """The candidates of `day` when the window holds more than `kb.max_cluster_texts` tickets.

    Clustering is superlinear and every ticket's text costs time, so a large window is not
    clustered whole every day. Instead (DECISIONLOG.md, "Knowledge-base candidates"):

    - every `kb.recluster_days` days (or when there is none, or the settings changed) a
      sample of `kb.max_cluster_texts` tickets of the window, those with the lowest MD5 of
      their ticket id, is clustered as usual; the sampled tickets are labelled with its
      clusters, which are matched to the earlier candidates (ids carry over) and kept
      (ops.kb_models, ops.kb_model_clusters);
    - each day, the window's tickets without a label (solved since the last run, solved
      again, or all of them on the first such run) are assigned to the nearest cluster of
      the clustering in use, by the same similarity thresholds (ops.kb_ticket_labels);
      other tickets keep their label;
    - a candidate is every ticket of the window labelled with one of its clusters (of any
      clustering still in use by a label), when there are at least `kb.min_cluster_size`.

    Only the day's new tickets are read and vectorised, so the run grows with the day's
    solves, not the window. The same warehouse gives the same candidates: the sample is a
    function of the window, and a run of `day` reads only labels and clusterings written
    for days up to `day` (its own earlier ones replaced).
    """
    config = settings.kb
    params = ClusterParams()
    key = _settings_key(settings, params, skip)
    con.execute("begin transaction")
    try:
        forget_sampled(con, day)
        model, model_date, boilerplate = _sampled_model(con, day, settings, params, key, skip, size)
        _label_new_tickets(con, day, config.window_days, skip, key, model, model_date, boilerplate)
        rows = _sampled_rows(con, day, settings, key, skip, model, boilerplate)
        write_day(con, day, rows, sampled=True)
        _prune_sampled(con, day, config.window_days)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rows


def _settings_key(settings: Settings, params: ClusterParams, skip: str) -> str:
    """What stored clusterings and labels depend on; a change makes them unusable."""
    basis = {
        "version": _SAMPLED_VERSION,
        "window_days": settings.kb.window_days,
        "min_cluster_size": settings.kb.min_cluster_size,
        "max_cluster_texts": settings.kb.max_cluster_texts,
        "params": dataclasses.asdict(params),
        "skip": skip,
    }
    return hashlib.sha1(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def _sampled_model(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: Settings,
    params: ClusterParams,
    key: str,
    skip: str,
    size: int,
) -> tuple[Model, date, frozenset[str]]:
    """The clustering in use on `day` (its model, day and boilerplate sentences): the latest
    one before `day`, or a new one of a sample of the window."""
    config = settings.kb
    latest = con.execute(
        "select model_date, payload from ops.kb_models "
        "where settings_key = $settings_key and model_date < $report_date "
        "order by model_date desc limit 1",
        {"settings_key": key, "report_date": day},
    ).fetchone()
    if latest is not None and (day - latest[0]).days < config.recluster_days:
        model, boilerplate = Model.load(latest[1], params)
        return model, latest[0], boilerplate

    con.execute(
        "create or replace temp table kb_listed as select ticket_id from kb_window "
        "order by md5(ticket_id), ticket_id limit $sample_size",
        {"sample_size": config.max_cluster_texts},
    )
    sample = solved_tickets(con, day, config.window_days, skip, listed=True)
    clustering = cluster_texts(
        sample.prepared_problems,
        sample.prepared_resolutions,
        min_size=config.min_cluster_size,
        params=params,
        prepared=True,
    )
    model = clustering._model if clustering._model is not None else Model(params)
    matched = match_candidates(con, day, clustering, sample.ticket_ids)
    con.execute(
        "insert into ops.kb_models values "
        "($model_date, $settings_key, $window_tickets, $sample_tickets, $payload)",
        {
            "model_date": day,
            "settings_key": key,
            "window_tickets": size,
            "sample_tickets": len(sample.ticket_ids),
            "payload": model.dump(clustering.boilerplate),
        },
    )
    con.execute(
        "insert into ops.kb_model_clusters select $model_date::date, "
        "unnest($clusters::integer[]), unnest($candidate_ids::varchar[]), "
        "unnest($keywords::varchar[][]), unnest($signature_terms::varchar[][]), "
        "unnest($signature_weights::double[][])",
        {
            "model_date": day,
            "clusters": list(range(len(matched))),
            "candidate_ids": [candidate_id for candidate_id, _, _ in matched],
            "keywords": clustering.keywords,
            "signature_terms": [list(signature) for signature in clustering.signatures],
            "signature_weights": [list(s.values()) for s in clustering.signatures],
        },
    )
    _insert_labels(con, day, day, sample, clustering.labels, clustering.similarity)
    return model, day, clustering.boilerplate


def _insert_labels(
    con: duckdb.DuckDBPyConnection,
    day: date,
    model_date: date,
    tickets: Tickets,
    labels: np.ndarray,
    similarity: np.ndarray,
) -> None:
    subjects = tickets.clean_subjects
    con.execute(
        "insert into ops.kb_ticket_labels select unnest($ticket_ids::varchar[]), "
        "unnest($solved_at::timestamptz[]), $labelled_on::date, $model_date::date, "
        "unnest($clusters::integer[]), unnest($similarities::double[]), "
        "unnest($subjects::varchar[]), unnest($subject_keys::varchar[]), "
        "unnest($has_resolution::boolean[])",
        {
            "ticket_ids": tickets.ticket_ids,
            "solved_at": tickets.solved_at,
            "labelled_on": day,
            "model_date": model_date,
            "clusters": [int(label) for label in labels],
            "similarities": [float(value) for value in similarity],
            "subjects": subjects,
            "subject_keys": [one_line(subject).lower() for subject in subjects],
            "has_resolution": [bool(resolution) for resolution in tickets.clean_resolutions],
        },
    )


def _label_new_tickets(
    con: duckdb.DuckDBPyConnection,
    day: date,
    window: int,
    skip: str,
    key: str,
    model: Model,
    model_date: date,
    boilerplate: frozenset[str],
) -> None:
    """Label the window's tickets that have no label yet with the clustering in use.

    In batches of _LABEL_BATCH tickets, so the first run over a large window (every ticket
    new) needs no more memory than a day's run.
    """
    from threadpoolctl import threadpool_limits

    con.execute(
        "create or replace temp table kb_todo as " + read_sql("queries/kb/unlabelled_tickets.sql"),
        {"report_date": day, "settings_key": key},
    )
    todo = int(con.execute("select count(*) from kb_todo").fetchone()[0])
    for offset in range(0, todo, _LABEL_BATCH):
        con.execute(
            "create or replace temp table kb_listed as "
            "select ticket_id from kb_todo order by ticket_id limit $batch offset $offset",
            {"batch": _LABEL_BATCH, "offset": offset},
        )
        tickets = solved_tickets(con, day, window, skip, listed=True)
        problems = [for_vectors(cleaned(t, boilerplate)) for t in tickets.prepared_problems]
        resolutions = [for_vectors(cleaned(t, boilerplate)) for t in tickets.prepared_resolutions]
        with threadpool_limits(limits=1):
            labels, similarity = model.assign_scored(problems, resolutions)
        _insert_labels(con, day, model_date, tickets, labels, similarity)
    # a ticket without any text is in no cluster (and is not looked at again)
    con.execute(
        "insert into ops.kb_ticket_labels select * from "
        f"({read_sql('queries/kb/textless_labels.sql')})",
        {"report_date": day, "model_date": model_date},
    )


def _sampled_rows(
    con: duckdb.DuckDBPyConnection,
    day: date,
    settings: Settings,
    key: str,
    skip: str,
    model: Model,
    boilerplate: frozenset[str],
) -> list[dict[str, Any]]:
    """The day's candidates from the labels of the window's tickets (temp table kb_members)."""
    window = settings.kb.window_days
    con.execute(
        f"create or replace temp table kb_members as {read_sql('queries/kb/window_members.sql')}",
        {"report_date": day, "settings_key": key, "min_size": settings.kb.min_cluster_size},
    )
    found = con.execute(read_sql("queries/kb/sampled_candidates.sql")).fetchall()
    if not found:
        return []
    symptoms = dict(con.execute(read_sql("queries/kb/sampled_symptoms.sql")).fetchall())
    described = {
        row[0]: row[1:]
        for row in con.execute(
            read_sql("queries/kb/cluster_descriptions.sql"),
            {"report_date": day, "settings_key": key},
        ).fetchall()
    }
    existing = {
        row[0]: (row[1], row[2])
        for row in con.execute(
            "select candidate_id, state, first_seen from ops.kb_candidates"
        ).fetchall()
    }
    # the texts of each candidate's representative ticket, for its draft
    representatives = [ticket_ids[rank - 1] for _, _, _, ticket_ids, _, rank in found]
    con.execute(
        "create or replace temp table kb_listed as "
        "select unnest($ticket_ids::varchar[]) as ticket_id",
        {"ticket_ids": representatives},
    )
    texts = solved_tickets(con, day, window, skip, listed=True)
    text_of = {
        ticket_id: (description, resolution)
        for ticket_id, description, resolution in zip(
            texts.ticket_ids, texts.clean_descriptions, texts.clean_resolutions, strict=True
        )
    }
    previous_counts = _sampled_previous_counts(con, day, window, key)
    vectors = functools.partial(problem_vectors, model)

    rows = []
    for (candidate_id, tickets, similarities, ticket_ids, subjects, _), representative in zip(
        found, representatives, strict=True
    ):
        keywords, terms, weights = described[candidate_id]
        state, first_seen = existing.get(candidate_id, ("new", day))
        previous = None if previous_counts is None else previous_counts.get(candidate_id, 0)
        title = pick_title(subjects, keywords, vectors)
        description, resolution = text_of.get(representative, ("", ""))
        rows.append(
            {
                "candidate_id": candidate_id,
                "state": state,
                "first_seen": min(first_seen, day),
                "title": title,
                "keywords": keywords,
                "tickets": tickets,
                "tickets_previous": previous,
                "trend": trend(tickets, previous),
                "ticket_ids": ticket_ids,
                # an exactly rounded mean: the same on every run, whatever the order
                "cohesion": math.fsum(similarities) / len(similarities),
                "signature": dict(zip(terms, weights, strict=True)),
                "draft": render_draft(
                    candidate_id,
                    title,
                    keywords,
                    ticket_ids,
                    subjects,
                    distinct_symptoms(symptoms.get(candidate_id, [])),
                    (representative, description, resolution),
                    day,
                    window,
                    previous,
                    boilerplate,
                ),
            }
        )
    return rows


def _sampled_previous_counts(
    con: duckdb.DuckDBPyConnection, day: date, window: int, key: str
) -> dict[str, int] | None:
    """Per candidate, how many tickets of the window before this one were labelled with it.

    None when the warehouse does not reach back that far, or when some of those tickets
    have no label (the window was clustered whole then, or the settings changed since).
    """
    if not covers_previous_window(con, day, window):
        return None
    list_window(con, "kb_previous", day - timedelta(days=window), window)
    counts = con.execute(
        read_sql("queries/kb/previous_window_counts.sql"), {"report_date": day, "settings_key": key}
    ).fetchall()
    if any(labelled < tickets for _, labelled, tickets in counts):
        return None
    return {candidate_id: tickets for candidate_id, _, tickets in counts if candidate_id}


def _prune_sampled(con: duckdb.DuckDBPyConnection, day: date, window: int) -> None:
    """Drop labels of tickets solved before the previous window (and a week), and the
    clusterings no label refers to any more."""
    horizon = day - timedelta(days=2 * window + 7)
    con.execute(
        "delete from ops.kb_ticket_labels where solved_at < $horizon::date", {"horizon": horizon}
    )
    for table in ("kb_model_clusters", "kb_models"):
        con.execute(
            f"delete from ops.{table} where model_date < $horizon "
            "and model_date not in (select distinct model_date from ops.kb_ticket_labels)",
            {"horizon": horizon},
        )
