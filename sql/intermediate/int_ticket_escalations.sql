-- one row per escalation rule a ticket meets, with the instant it first met it
-- Keywords count only in the customer's own words: the subject and description of a ticket
-- the customer opened, and end-user comments with quoted text ("> ...", "On ... wrote:")
-- removed. Field rules (tier + tag) hold from creation.
with

tickets as (
    select * from staging.stg_tickets where not is_deleted
),

customer_opened as (
    -- an agent who opened the ticket with a public comment wrote its text, not the customer
    select tickets.ticket_id, tickets.created_at,
        coalesce(tickets.subject, '') || ' ' || coalesce(tickets.description, '') as words,
    from tickets
    where not exists (
        select 1
        from staging.stg_events as events
        where events.ticket_id = tickets.ticket_id
            and events.kind = 'comment'
            and events.author_role = 'agent'
            and events.occurred_at = tickets.created_at
    )
),

customer_comments as (
    select
        ticket_id,
        occurred_at,
        regexp_replace(
            regexp_replace(body, '(?s)\n[^\n]*\bon\b[^\n]*\bwrote:.*$', '', 'i'),
            '(?m)^\s*>.*$', '', 'g'
        ) as words,
    from intermediate.int_end_user_activity
    where body is not null
),

customer_words as (
    select ticket_id, created_at as said_at, words from customer_opened
    union all
    select ticket_id, occurred_at, words from customer_comments
),

keyword_hits as (
    select
        customer_words.ticket_id,
        keywords.priority,
        'escalated to ' || keywords.priority || ': "' || keywords.term
            || '" in the customer''s words' as reason,
        min(customer_words.said_at) as escalated_at,
    from customer_words
    inner join config.escalation_keywords as keywords
        on regexp_matches(
            lower(customer_words.words), '\b' || regexp_escape(keywords.term) || '\b'
        )
    group by all
),

rule_hits as (
    select
        tickets.ticket_id,
        rules.priority,
        'escalated to ' || rules.priority || ': '
            || concat_ws(' with ', rules.customer_tier || ' tier', 'tag ' || rules.tag)
            as reason,
        tickets.created_at as escalated_at,
    from tickets
    inner join config.escalation_rules as rules
        on (rules.customer_tier is null or rules.customer_tier = tickets.customer_tier)
        and (rules.tag is null or list_contains(tickets.tags, rules.tag))
),

final as (
    select * from keyword_hits
    union all
    select * from rule_hits
)

select * from final
