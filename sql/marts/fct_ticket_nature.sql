-- one row per ticket: its nature by the configured rules (the first nature, in rule order,
-- with a pattern found in the subject or description), else 'unclassified'
-- incremental: ticket_id
with

tickets as (
    select ticket_id, lower(coalesce(subject, '') || ' ' || coalesce(description, '')) as words
    from staging.stg_tickets
    where not is_deleted and in_scope(ticket_id)
),

-- a pattern without any of the regular expressions' special characters matches where
-- its text is found: tested as a substring, it is not compiled for every ticket
rules as (
    select
        *,
        not regexp_matches(pattern, '[\\.+*?()|\[\]{}^$]') as is_literal,
    from config.nature_rules
),

matches as (
    select
        tickets.ticket_id,
        rules.nature,
        rules.rule_order,
        rules.pattern,
        rules.is_automatable,
    from tickets
    inner join rules
        on case
            when rules.is_literal then contains(tickets.words, rules.pattern)
            else regexp_matches(tickets.words, rules.pattern)
        end
    -- one compiled test of all the patterns first: a pattern from a column is compiled
    -- for every row it is tested on
    where regexp_matches(tickets.words, getvariable('nature_pattern'))
),

final as (
    select
        tickets.ticket_id,
        coalesce(arg_min(matches.nature, (matches.rule_order, matches.pattern)), 'unclassified')
            as nature,
        arg_min(matches.pattern, (matches.rule_order, matches.pattern)) as matched_pattern,
        coalesce(arg_min(matches.is_automatable, (matches.rule_order, matches.pattern)), false)
            as is_automatable,
    from tickets
    left join matches using (ticket_id)
    group by tickets.ticket_id
)

select * from final
