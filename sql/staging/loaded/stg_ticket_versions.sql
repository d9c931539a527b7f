-- one row per valid ticket row of an export: every version of a ticket we have seen.
-- Loaded by the ingest (tasks/ingest), not built by the model runner: a table in the
-- staging layer that is not a model lives in this folder, applied with sql/schema/*.sql;
-- read by staging.stg_tickets and the incremental build's scope. Documented in sql/staging/_models.toml.
-- (load_id, row_number) is unique by construction, without a key to keep (as raw's;
-- sql/migrations/0005 says why).
create table if not exists staging.stg_ticket_versions (
    load_id varchar not null,
    export_date date not null,
    row_number bigint not null,
    ticket_id varchar not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    status varchar not null,
    requester_id varchar not null,
    priority varchar,
    ticket_type varchar,
    channel varchar,
    group_name varchar,
    assignee_id varchar,
    organization_id varchar,
    customer_tier varchar,
    subject varchar,
    description varchar,
    tags varchar[],
    solved_at timestamptz,
    first_reply_at timestamptz,
    satisfaction varchar,
    extra json
);
