-- config.sla_targets: one row per priority, its SLA targets in minutes.
-- Filled from the settings' [sla.<priority>] tables (first_reply_minutes,
-- resolution_minutes, clock: is_business_clock when clock = "business", the targets then
-- count business minutes of the ticket's schedule); read by fct_open_tickets (SLA breaches).
create or replace table config.sla_targets (
    priority varchar primary key,
    first_reply_minutes double,
    resolution_minutes double,
    is_business_clock boolean not null
);

insert into config.sla_targets values (
    $priority, $first_reply_minutes, $resolution_minutes, $is_business_clock
);
