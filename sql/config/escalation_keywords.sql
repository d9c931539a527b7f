-- config.escalation_keywords: one row per keyword that escalates a ticket to a priority
-- when its text holds it. Filled from [escalation.keywords] (term = priority; terms
-- lower-cased); read by int_ticket_escalations.
create or replace table config.escalation_keywords (term varchar, priority varchar);

insert into config.escalation_keywords values ($term, $priority);
