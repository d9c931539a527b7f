-- config.staffing_settings: one row, the staffing targets of fct_daily_staffing. Filled
-- from [staffing] `target_backlog_days` (the backlog, in days of outflow, to aim for) and
-- `drain_within_days` (how soon the excess should be gone).
create or replace table config.staffing_settings (
    target_backlog_days double,
    drain_within_days integer
);

insert into config.staffing_settings values ($target_backlog_days, $drain_within_days);
