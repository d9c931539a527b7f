-- one row per valid event row of an export.
-- Loaded by the ingest (tasks/ingest), not built by the model runner: a table in the
-- staging layer that is not a model lives in this folder, applied with sql/schema/*.sql;
-- read by the intermediate models. Documented in sql/staging/_models.toml.
-- (load_id, row_number) is unique by construction, without a key to keep (as raw's;
-- sql/migrations/0005 says why).
create table if not exists staging.stg_events (
    load_id varchar not null,
    export_date date not null,
    row_number bigint not null,
    event_id varchar not null,
    ticket_id varchar not null,
    occurred_at timestamptz not null,
    kind varchar not null,
    from_value varchar,
    to_value varchar,
    author_id varchar,
    author_role varchar,
    is_public boolean,
    body varchar,
    extra json
);
