-- The warehouse's fixed tables: what ingest writes. Models (staging, intermediate,
-- marts) are rebuilt from these by tasks/models.py. Safe to run on every connect.
-- Every sql/schema/*.sql runs on connect, this file first; features add their own file.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists ops;
create schema if not exists config;

-- one row per record read from a tickets file, as loaded. `row_number` is the record's
-- ordinal in the file (1 = first record after the header), `line_number` the physical
-- line it starts on (CSV, JSONL). `record` is null for a row that could not be split
-- into columns (wrong number of fields, not JSON, not UTF-8, a NUL byte); then
-- `raw_text` holds the row's text as read (invalid bytes as \xNN).
create table if not exists raw.tickets (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar,
    primary key (load_id, row_number)
);

-- one row per record read from an events file, as loaded (columns as raw.tickets)
create table if not exists raw.events (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar,
    primary key (load_id, row_number)
);

-- one row per valid ticket row of an export: every version of a ticket we have seen
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
    extra json,
    primary key (load_id, row_number)
);

-- one row per valid event row of an export
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
    extra json,
    primary key (load_id, row_number)
);

-- one row per file loaded: the ledger; rows_read = rows_loaded + rows_quarantined
create table if not exists ops.loads (
    load_id varchar primary key,
    export_date date not null,
    entity varchar not null,
    source_file varchar not null,
    file_format varchar not null,
    sha256 varchar not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    extra_columns varchar[],
    loaded_at timestamptz not null
);

-- one row per row set aside, with why and the row as it was read: `record` as parsed
-- (null when the row could not be split into columns), `raw_text` the row's text in
-- the file (CSV, JSONL; invalid bytes as \xNN)
create table if not exists ops.quarantine (
    load_id varchar not null,
    export_date date not null,
    entity varchar not null,
    source_file varchar not null,
    row_number bigint not null,
    reason varchar not null,
    record json,
    line_number bigint,
    raw_text varchar,
    primary key (load_id, row_number)
);

-- one row per row-level check per load: the Great Expectations suite's expectations,
-- the well-formed-row check and the duplicate check; `message` says it in words
create table if not exists ops.validation_results (
    load_id varchar not null,
    export_date date not null,
    entity varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint not null,
    message varchar,
    primary key (load_id, expectation, column_name)
);

-- warehouses created before these columns existed
alter table raw.tickets add column if not exists line_number bigint;
alter table raw.tickets add column if not exists raw_text varchar;
alter table raw.events add column if not exists line_number bigint;
alter table raw.events add column if not exists raw_text varchar;
alter table ops.quarantine add column if not exists line_number bigint;
alter table ops.quarantine add column if not exists raw_text varchar;
alter table ops.validation_results add column if not exists message varchar;

-- Parse an ISO 8601 text into an instant: an explicit offset or Z is kept,
-- a naive value is read in the zone `naive_zone`.
create or replace macro parse_instant(text_value, naive_zone) as
    case
        when text_value is null or trim(text_value) = '' then null
        when regexp_matches(
            trim(text_value),
            '\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{2}(:?\d{2})?)$'
        ) then try_cast(trim(text_value) as timestamptz)
        else timezone(naive_zone, try_cast(trim(text_value) as timestamp))
    end;

-- Text that is empty after trimming counts as missing.
create or replace macro clean_text(text_value) as nullif(trim(text_value), '');

-- one row: what the last model build saw; tasks/models.py builds incrementally from it
-- (the loads not in `load_ids`) while `fingerprint` (model SQL, configuration, the
-- history's first day) still matches, and rebuilds in full otherwise
create table if not exists ops.model_builds (
    built_at timestamptz not null,
    is_full boolean not null,
    reason varchar not null,
    fingerprint varchar not null,
    load_ids varchar[] not null,
    tickets_in_scope bigint not null
);
