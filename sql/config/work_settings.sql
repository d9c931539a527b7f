-- config.work_settings: one row, the work queue's thresholds. Filled from [work]
-- `stale_days` (an open ticket untouched this long is stale) and `batch_min_size` (the
-- fewest tickets that make a batch); read by fct_stale_tickets and fct_backlog_batches.
create or replace table config.work_settings (
    stale_days double,
    batch_min_size integer
);

insert into config.work_settings values ($stale_days, $batch_min_size);
