-- config.business_schedule_groups: one row per group_name a named schedule is assigned to
-- ([business_hours.schedules.<name>] groups). A ticket whose latest group_name is here uses
-- that schedule; every other ticket the default one. Read by marts.fct_ticket_metrics.
create or replace table config.business_schedule_groups (
    group_name varchar primary key,
    schedule_name varchar not null
);

insert into config.business_schedule_groups values ($group_name, $schedule_name);
