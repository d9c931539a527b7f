-- Data quality beyond single rows (docs/data-quality.md): fatal files, file and day checks,
-- the Great Expectations results behind the Data Docs. Applied after core.sql when the warehouse
-- is made or upgraded.

-- one row per export day whose last load attempt stopped on a fatal file. Written
-- outside the load's transaction (which rolled back), so the digest can say why the
-- day is incomplete; deleted when the day later loads (or is found already loaded).
create table if not exists ops.load_failures (
    export_date date primary key,
    entity varchar not null,
    source_file varchar not null,
    sha256 varchar,
    column_name varchar,
    message varchar not null,
    failed_at timestamptz not null
);

-- one row per file- or day-level check of one export day: schema drift (new or
-- case-renamed columns), the share of rows quarantined, the volume against the
-- trailing median. severity: info (reported only), warn, fail.
create table if not exists ops.quality_checks (
    export_date date not null,
    entity varchar not null,
    check_name varchar not null,
    subject varchar not null,
    severity varchar not null,
    success boolean not null,
    observed double,
    threshold double,
    message varchar not null,
    primary key (export_date, entity, check_name, subject)
);

-- one row per Great Expectations validation run of one load: the suite's result as
-- GX JSON (failing row lists left out: they are in ops.quarantine), for the Data Docs
create table if not exists ops.validation_runs (
    load_id varchar primary key,
    export_date date not null,
    entity varchar not null,
    run_key varchar[] not null,
    success boolean not null,
    seconds double not null,
    result json not null
);
