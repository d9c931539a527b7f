-- config.business_schedule_versions: one row per version of each business-hours schedule.
-- Filled from [business_hours] (schedule "default"), [business_hours.schedules.<name>] and
-- their [[...changes]] (valid_from: the local date the hours apply from; the schedule's own
-- hours from 0001-01-01). Empty without [business_hours]: every clock is calendar time.
-- holidays_version (the holidays package's) makes an upgrade rebuild the clocks.
-- Read by tasks/models/open_intervals.py (ops.business_intervals) and the models.
create or replace table config.business_schedule_versions (
    schedule_name varchar not null,
    valid_from date not null,
    timezone varchar not null,
    holiday_country varchar,
    holiday_subdivision varchar,
    holidays_version varchar,
    primary key (schedule_name, valid_from)
);

insert into config.business_schedule_versions values (
    $schedule_name, $valid_from, $timezone, $holiday_country, $holiday_subdivision,
    $holidays_version
);
