-- applies when: select count(*) = 1 from information_schema.tables where table_catalog = current_database() and table_schema = 'ops' and table_name = 'kb_candidate_members' and table_type = 'BASE TABLE'
-- Warehouses made before member lists kept one row per member ticket per candidate per
-- day in the table ops.kb_candidate_members. Turn its rows into one list per candidate
-- and day (ops.kb_candidate_member_lists) and drop it: sql/schema/kb.sql then makes
-- ops.kb_candidate_members the view over the lists.
create table if not exists ops.kb_candidate_member_lists (
    report_date date not null,
    candidate_id varchar not null,
    ticket_ids varchar[] not null,
    similarities double[] not null,
    primary key (report_date, candidate_id)
);

insert or replace into ops.kb_candidate_member_lists
select
    report_date,
    candidate_id,
    list(ticket_id order by member_rank),
    list(similarity order by member_rank),
from ops.kb_candidate_members
group by report_date, candidate_id;

drop table ops.kb_candidate_members;
