-- Knowledge-base candidates (SPEC section 7): what tasks/kb.py keeps between runs.
-- Safe to run on every connect. The marts marts.fct_kb_candidates and
-- marts.fct_kb_candidate_tickets are rebuilt from these tables by tasks/kb.py.

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

-- one row per member ticket of a candidate per report day; member_rank 1 is the most
-- representative ticket (closest to the centroid)
create table if not exists ops.kb_candidate_members (
    report_date date not null,
    candidate_id varchar not null,
    ticket_id varchar not null,
    member_rank integer not null,
    similarity double not null,
    primary key (report_date, candidate_id, ticket_id)
);
