-- applies when: select count(*) > 0 from duckdb_constraints() where database_name = current_database() and schema_name = 'raw' and table_name in ('tickets', 'events') and constraint_type = 'PRIMARY KEY'
-- rows it rewrites: select (select count(*) from raw.tickets) + (select count(*) from raw.events)
-- says: Upgrading the warehouse once: rewriting its raw tables ({rows} rows, in a {size} warehouse) without the primary key that slowed every load; this takes half a minute to a minute per GB on a 2-core machine (a few minutes for a year at 10,000 tickets a day), and the file grows by up to the raw tables' size until DuckDB reuses the space.
-- raw.tickets and raw.events lose their primary key (load_id, row_number): each load
-- writes a file's rows once (its load id names the day, the entity and the file's
-- content, and a day's earlier load is removed first), and keeping the key's index
-- cost every load an index insert per row and the commit its upkeep (about 0.1 s of CPU
-- a day at 10,000 tickets a day, and memory that grows with the history). DuckDB cannot
-- drop a key: each table is rebuilt, its rows kept as they are.
create table raw.tickets_unkeyed (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar
);
insert into raw.tickets_unkeyed
select load_id, export_date, source_file, row_number, record, line_number, raw_text
from raw.tickets;
drop table raw.tickets;
alter table raw.tickets_unkeyed rename to tickets;
create table raw.events_unkeyed (
    load_id varchar not null,
    export_date date not null,
    source_file varchar not null,
    row_number bigint not null,
    record json,
    line_number bigint,
    raw_text varchar
);
insert into raw.events_unkeyed
select load_id, export_date, source_file, row_number, record, line_number, raw_text
from raw.events;
drop table raw.events;
alter table raw.events_unkeyed rename to events;
