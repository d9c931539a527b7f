-- config.digest_schedule: one row per ISO weekday of a report day D, the days D's morning
-- digest covers: D minus the report day of the previous scheduled morning. Filled from
-- [schedule] daily_cron (tasks/schedule.py); empty when the cron is not weekly. Read by
-- fct_since_last_digest.
create or replace table config.digest_schedule (
    report_weekday integer,
    days_covered integer
);

insert into config.digest_schedule values ($report_weekday, $days_covered);
