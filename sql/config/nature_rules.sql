-- config.nature_rules: one row per pattern of a ticket-nature rule: the nature, the
-- rule's place in [nature.rules] (the first rule that matches wins), the regular
-- expression, and whether the nature is in [nature] `automatable`. Read by
-- fct_ticket_nature (the session variable `nature_pattern` holds every pattern in one).
create or replace table config.nature_rules (
    nature varchar,
    rule_order integer,
    pattern varchar,
    is_automatable boolean
);

insert into config.nature_rules values ($nature, $rule_order, $pattern, $is_automatable);
