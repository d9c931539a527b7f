-- config.business_weekly_hours: one row per open interval of a weekday of a schedule version,
-- local wall time in minutes of the day (closes_minute 1440 = midnight). Filled from the
-- mon..sun lists of [business_hours] and its schedules and changes; read by
-- tasks/models/open_intervals.py.
create or replace table config.business_weekly_hours (
    schedule_name varchar not null,
    valid_from date not null,
    iso_weekday integer not null,
    opens_minute integer not null,
    closes_minute integer not null
);

insert into config.business_weekly_hours values (
    $schedule_name, $valid_from, $iso_weekday, $opens_minute, $closes_minute
);
