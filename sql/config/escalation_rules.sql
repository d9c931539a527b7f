-- config.escalation_rules: one row per rule escalating a customer tier's or a tag's
-- tickets to a priority (either may be null: any). Filled from [[escalation.rules]]
-- (customer_tier, tag lower-cased); read by int_ticket_escalations.
create or replace table config.escalation_rules (
    customer_tier varchar,
    tag varchar,
    priority varchar
);

insert into config.escalation_rules values ($customer_tier, $tag, $priority);
