-- The warehouse's fixed tables: what ingest writes. Models (staging, intermediate,
-- marts) are rebuilt from these by tasks/models/. The staging tables the ingest fills
-- (stg_ticket_versions, stg_events) are declared beside the models, in sql/staging/loaded/.
-- Every sql/schema/*.sql (this file first, features add their own file), then
-- sql/staging/loaded/*.sql, runs when the warehouse is made or upgraded
-- (tasks/warehouse/migrations.py): each statement must hold on an existing warehouse
-- (`if not exists`, `or replace`); a change to an existing table's shape is a migration
-- in sql/migrations/.

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
-- `raw_text` holds the row's text as read (invalid bytes as \xNN). (load_id, row_number)
-- is unique by construction, without a key to keep: a load writes each file's rows
-- once, after removing the day's earlier load (sql/migrations/0004 says why).
create table if not exists raw.tickets (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar
);

-- one row per record read from an events file, as loaded (columns as raw.tickets)
create table if not exists raw.events (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar
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

-- one row: what the last model build saw; tasks/models/ builds incrementally from it
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

-- one row per migration (sql/migrations/NNNN_<name>.sql) this warehouse has passed:
-- `ran` is false when its `applies when` guard did not hold (nothing to change).
-- `schema_sha256` (latest row) is the digest of the fixed schema files last applied;
-- a connect reads the latest row and does nothing more while both are current.
create table if not exists ops.schema_migrations (
    version integer primary key,
    name varchar not null,
    ran boolean not null,
    applied_at timestamptz not null,
    schema_sha256 varchar not null
);

-- one row: the digest of the config tables last written (sql/config/*.sql, their rows
-- from the settings, the seeds); a connect with the same settings writes nothing
create table if not exists ops.config_written (
    fingerprint varchar not null,
    written_at timestamptz not null
);
