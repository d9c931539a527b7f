-- one row per escalation rule a ticket meets, with the instant it first met it
-- Keywords count only in the customer's own words (intermediate.int_customer_texts): the
-- subject and description of a ticket the customer opened, and end-user comments with
-- quoted text removed; whole words or phrases. Field rules (tier + tag) hold from creation.
-- incremental: ticket_id
with

tickets as (
    select * from staging.stg_tickets where not is_deleted and in_scope(ticket_id)
),

agent_opened as (
    -- an agent who opened the ticket with a public comment wrote its text, not the customer
    select distinct tickets.ticket_id
    from tickets
    inner join scope_events as events  -- staging.stg_events of the tickets in scope
        on events.ticket_id = tickets.ticket_id
        and events.kind = 'comment'
        and events.author_role = 'agent'
        and events.occurred_at = tickets.created_at
),

keyword_terms as (
    select list(distinct term) as terms from config.escalation_keywords
),

-- materialized: the n-gram test below must not be pushed into the scan of every text
customer_texts as materialized (
    select ticket_id, said_at, source, grams
    from intermediate.int_customer_texts
    where in_scope(ticket_id)
),

customer_words as (
    -- only the keywords a text uses are unnested: texts hold hundreds of n-grams each
    select
        texts.ticket_id,
        texts.said_at,
        unnest(list_intersect(texts.grams, keyword_terms.terms)) as gram,
    from customer_texts as texts
    cross join keyword_terms
    where list_has_any(texts.grams, keyword_terms.terms)
        and (texts.source = 'comment'
            or texts.ticket_id not in (select ticket_id from agent_opened))
),

keyword_hits as (
    select
        customer_words.ticket_id,
        keywords.priority,
        'escalated to ' || keywords.priority || ': "' || keywords.term
            || '" in the customer''s words' as reason,
        min(customer_words.said_at) as escalated_at,
    from customer_words
    inner join config.escalation_keywords as keywords on keywords.term = customer_words.gram
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
