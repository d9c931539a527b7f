-- config.driver_settings: one row, how fct_drivers_daily counts drivers. Filled from
-- [drivers] `ignore_tags` (lower-cased; tags never counted), `spike_min_tickets` and
-- `spike_z` (the fewest tickets and the z-score that make a spike).
create or replace table config.driver_settings (
    ignore_tags varchar[],
    spike_min_tickets integer,
    spike_z double
);

insert into config.driver_settings values ($ignore_tags, $spike_min_tickets, $spike_z);
