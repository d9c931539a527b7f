-- applies when: select count(*) > 0 from duckdb_constraints() where database_name = current_database() and schema_name = 'staging' and table_name in ('stg_ticket_versions', 'stg_events') and constraint_type = 'PRIMARY KEY'
-- rows it rewrites: select (select count(*) from staging.stg_ticket_versions) + (select count(*) from staging.stg_events)
-- says: Upgrading the warehouse once: rewriting its loaded staging tables ({rows} rows, in a {size} warehouse) without the primary key that slowed every load; this takes about half a minute per GB on a 2-core machine (a few minutes for a year at 10,000 tickets a day), and the file grows by up to those tables' size until DuckDB reuses the space.
-- staging.stg_ticket_versions and staging.stg_events lose their primary key (load_id,
-- row_number), as raw's tables did (0004): each load writes a file's rows once (its load
-- id names the day, the entity and the file's content, and a day's earlier load is
-- removed first). The key's index cost every load an index insert per row, the commit
-- its upkeep and memory that grows with the history: about 0.12 CPU s a day at 10,000
-- tickets a day. DuckDB cannot drop a key: each table is rebuilt, its rows kept as they are.
create table staging.stg_ticket_versions_unkeyed (
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
insert into staging.stg_ticket_versions_unkeyed
select load_id, export_date, row_number, ticket_id, created_at, updated_at, status, requester_id, priority, ticket_type, channel, group_name, assignee_id, organization_id, customer_tier, subject, description, tags, solved_at, first_reply_at, satisfaction, extra
from staging.stg_ticket_versions;
drop table staging.stg_ticket_versions;
alter table staging.stg_ticket_versions_unkeyed rename to stg_ticket_versions;
create table staging.stg_events_unkeyed (
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
insert into staging.stg_events_unkeyed
select load_id, export_date, row_number, event_id, ticket_id, occurred_at, kind, from_value, to_value, author_id, author_role, is_public, body, extra
from staging.stg_events;
drop table staging.stg_events;
alter table staging.stg_events_unkeyed rename to stg_events;
