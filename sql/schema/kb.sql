-- Knowledge-base candidates: what tasks/kb keeps between runs. Applied
-- when the warehouse is made or upgraded (see core.sql). The marts
-- marts.fct_kb_candidates and marts.fct_kb_candidate_tickets are built from these tables
-- (sql/marts/fct_kb_*.sql).

-- one row per candidate ever found: its state (set from the CLI) and what matching reads
create table if not exists ops.kb_candidates (
    candidate_id varchar primary key,
    state varchar not null default 'new',  -- new | accepted | dismissed
    first_seen date not null,
    last_seen date not null,
    title varchar,
    keywords varchar[],
    -- the centroid's heaviest terms ("p:" problem text, "r:" resolution) and their weights
    signature_terms varchar[],
    signature_weights double[],
    state_changed_at timestamptz
);

-- one row per candidate per report day it was found: that day's figures and draft
create table if not exists ops.kb_candidate_days (
    report_date date not null,
    candidate_id varchar not null,
    title varchar not null,
    keywords varchar[] not null,
    tickets integer not null,
    tickets_previous integer,  -- null when the warehouse does not cover the previous window
    trend varchar,             -- rising | steady | falling; null with tickets_previous
    representative_ticket_id varchar not null,
    cohesion double not null,  -- mean similarity of the members to the centroid
    signature_terms varchar[] not null,
    signature_weights double[] not null,
    draft_markdown varchar not null,
    primary key (report_date, candidate_id)
);

-- one row per candidate per report day: its member tickets, the most representative
-- (closest to the centroid) first, and their similarities in the same order. One row, not
-- one per member: at 10,000 tickets a day a day's members are ~245k tickets, written again
-- every day (DECISIONLOG.md, "Knowledge-base candidates at scale").
create table if not exists ops.kb_candidate_member_lists (
    report_date date not null,
    candidate_id varchar not null,
    ticket_ids varchar[] not null,
    similarities double[] not null,
    primary key (report_date, candidate_id)
);

-- one row per member ticket of a candidate per report day; member_rank 1 is the most
-- representative ticket. A warehouse made before the lists has a table of that name
-- instead: migration sql/migrations/0002_kb_member_lists.sql turns it into lists and
-- drops it before this file runs.
create view if not exists ops.kb_candidate_members as
select
    report_date,
    candidate_id,
    unnest(ticket_ids) as ticket_id,
    generate_subscripts(ticket_ids, 1) as member_rank,
    unnest(similarities) as similarity,
from ops.kb_candidate_member_lists;

-- What tasks/kb/ keeps between runs when the KB window holds more solved tickets than
-- kb.max_cluster_texts: the clusterings of a sample of the window (kb_models, one per day
-- a sample was clustered), which candidate each of their clusters is (kb_model_clusters)
-- and the cluster each solved ticket was put in (kb_ticket_labels).

-- a clustering: its settings' hash and the fitted weights and cluster sums (a NumPy .npz)
create table if not exists ops.kb_models (
    model_date date primary key,
    settings_key varchar not null,
    window_tickets integer not null,  -- solved tickets in the window that day
    sample_tickets integer not null,  -- of which clustered
    payload blob not null
);

-- one row per cluster of a clustering: its candidate id, keywords and term signature
create table if not exists ops.kb_model_clusters (
    model_date date not null,
    cluster integer not null,
    candidate_id varchar not null,
    keywords varchar[] not null,
    signature_terms varchar[] not null,
    signature_weights double[] not null,
    primary key (model_date, cluster)
);

-- the cluster of a solved ticket (as solved at solved_at) in a clustering; -1: in none.
-- A ticket is labelled once, by the clustering in use when it is first seen solved (or by
-- the clustering it was sampled for); a later solve is a new row.
create table if not exists ops.kb_ticket_labels (
    ticket_id varchar not null,
    solved_at timestamptz not null,
    labelled_on date not null,     -- the report day of the run that wrote it
    model_date date not null,
    cluster integer not null,
    similarity double not null,    -- to the cluster's centroid (0 for none)
    subject varchar not null,      -- the subject, cleaned and redacted (for titles, drafts)
    subject_key varchar not null,  -- the subject as one lower-case line: distinct symptoms
    has_resolution boolean not null
);
