-- config.business_holidays: one row per holiday date listed in a schedule's `holidays`
-- (the holiday_country's holidays are added when the open intervals are built). A holiday
-- is closed all day in the schedule's zone. Read by tasks/models/open_intervals.py.
create or replace table config.business_holidays (
    schedule_name varchar not null,
    holiday_date date not null
);

insert into config.business_holidays values ($schedule_name, $holiday_date);
