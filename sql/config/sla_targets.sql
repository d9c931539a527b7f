-- config.sla_targets: one row per priority, its SLA targets in minutes.
-- Filled from the settings' [sla.<priority>] tables (first_reply_minutes,
-- resolution_minutes); read by fct_open_tickets (SLA breaches).
create or replace table config.sla_targets (
    priority varchar primary key,
    first_reply_minutes double,
    resolution_minutes double
);

insert into config.sla_targets values ($priority, $first_reply_minutes, $resolution_minutes);
