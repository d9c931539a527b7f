-- one row per workable backlog ticket (new, open, hold) per report day: the work-next score
-- score = 100 * sum(weight * component), components in [0, 1] (backlog.example.toml, [work]);
-- escalation rules ([escalation]) raise the priority the urgency component reads:
-- impact: the ticket's largest driver this week relative to the day's largest driver;
-- urgency: from priority; customer_value: from tier; sla_risk: largest elapsed share of a
-- running target; sentiment: negativity of the latest end-user text (lexicon, 0.5 neutral).
-- incremental: report_date
with

open_tickets as (
    select * from marts.fct_open_tickets
    where status in ('new', 'open', 'hold') and report_date >= getvariable('build_from')
),

days as (
    select * from intermediate.int_report_days where report_date >= getvariable('build_from')
),

drivers as (
    select * from marts.fct_drivers_daily where report_date >= getvariable('build_from')
),

weights as (
    select
        coalesce(max(value) filter (where name = 'impact'), 0) as impact_weight,
        coalesce(max(value) filter (where name = 'urgency'), 0) as urgency_weight,
        coalesce(max(value) filter (where name = 'customer_value'), 0) as customer_value_weight,
        coalesce(max(value) filter (where name = 'sla_risk'), 0) as sla_risk_weight,
        coalesce(max(value) filter (where name = 'sentiment'), 0) as sentiment_weight,
    from config.work_weights
),

largest_driver as (
    select report_date, max(tickets_7d) as tickets_7d
    from drivers
    group by report_date
),

ticket_drivers as (
    select open_tickets.report_date, open_tickets.ticket_id, drivers.driver, drivers.tickets_7d
    from open_tickets
    inner join intermediate.int_ticket_drivers as driver_values using (ticket_id)
    inner join drivers
        on drivers.report_date = open_tickets.report_date
        and drivers.driver = driver_values.driver
),

top_driver as (
    select
        report_date,
        ticket_id,
        arg_max(driver, (tickets_7d, driver)) as driver,
        max(tickets_7d) as driver_tickets_7d,
    from ticket_drivers
    group by report_date, ticket_id
),

escalations as (
    select * from intermediate.int_ticket_escalations
    where ticket_id in (select ticket_id from open_tickets)
),

-- what the backlog's customers wrote (not the whole history's texts)
customer_texts as (
    select ticket_id, said_at, grams, has_double_bang
    from intermediate.int_customer_texts
    where ticket_id in (select ticket_id from open_tickets)
),

priority_rank as (
    select * from (values ('urgent', 4), ('high', 3), ('normal', 2), ('low', 1))
        as ranks(priority, priority_rank)
),

-- the highest priority an escalation rule raised the ticket to by the end of the day
escalated as (
    select
        open_tickets.report_date,
        open_tickets.ticket_id,
        arg_max(escalations.priority, priority_rank.priority_rank) as escalated_priority,
        max(priority_rank.priority_rank) as escalated_rank,
        list(escalations.reason order by priority_rank.priority_rank desc, escalations.reason)
            as escalation_reasons,
    from open_tickets
    inner join days using (report_date)
    inner join escalations
        on escalations.ticket_id = open_tickets.ticket_id
        and escalations.escalated_at < days.as_of_at
    inner join priority_rank on priority_rank.priority = escalations.priority
    group by all
),

with_text as (
    select
        open_tickets.* replace (
            case
                when escalated.escalated_rank > coalesce(own_rank.priority_rank, 2)
                    then escalated.escalated_priority
                else open_tickets.priority
            end as priority
        ),
        open_tickets.priority as own_priority,
        coalesce(escalated.escalated_rank > coalesce(own_rank.priority_rank, 2), false)
            as is_escalated,
        escalated.escalation_reasons,
        days.as_of_at,
        latest_text.said_at as customer_text_at,
    from open_tickets
    inner join days using (report_date)
    left join escalated using (report_date, ticket_id)
    left join priority_rank as own_rank on own_rank.priority = open_tickets.priority
    asof left join customer_texts as latest_text
        on latest_text.ticket_id = open_tickets.ticket_id
        and latest_text.said_at < days.as_of_at
),

latest_texts as (
    -- the texts some day's work-next reads: each ticket's latest by then
    select distinct ticket_id, customer_text_at as said_at
    from with_text
    where customer_text_at is not null
),

scored_texts as (
    select customer_texts.*
    from customer_texts
    inner join latest_texts using (ticket_id, said_at)
),

lexicon_terms as (
    select list(distinct term) as terms from config.sentiment_lexicon
),

lexicon_hits as (
    -- the lexicon's polarities of the words each text uses (only those unnested)
    select texts.ticket_id, texts.said_at, lexicon.term, lexicon.polarity
    from (
        select
            scored_texts.ticket_id,
            scored_texts.said_at,
            unnest(list_intersect(scored_texts.grams, lexicon_terms.terms)) as term,
        from scored_texts
        cross join lexicon_terms
        where list_has_any(scored_texts.grams, lexicon_terms.terms)
    ) as texts
    inner join config.sentiment_lexicon as lexicon using (term)
),

text_sentiment as (
    -- each customer text scored once
    select
        texts.ticket_id,
        texts.said_at,
        texts.has_double_bang,
        coalesce(hits.lexicon_score, 0) as lexicon_score,
        hits.negative_terms,
    from (
        select ticket_id, said_at, any_value(has_double_bang) as has_double_bang
        from scored_texts
        group by ticket_id, said_at
    ) as texts
    left join (
        select
            ticket_id,
            said_at,
            sum(polarity) as lexicon_score,
            list(term order by polarity, term) filter (where polarity < 0) as negative_terms,
        from lexicon_hits
        group by ticket_id, said_at
    ) as hits using (ticket_id, said_at)
),

sentiment as (
    select
        with_text.report_date,
        with_text.ticket_id,
        coalesce(text_sentiment.lexicon_score, 0) as lexicon_score,
        coalesce(text_sentiment.has_double_bang, false) as has_double_bang,
        text_sentiment.negative_terms,
    from with_text
    left join text_sentiment
        on text_sentiment.ticket_id = with_text.ticket_id
        and text_sentiment.said_at = with_text.customer_text_at
),

components as (
    select
        with_text.report_date,
        with_text.ticket_id,
        with_text.status,
        with_text.created_at,
        with_text.priority,
        with_text.own_priority,
        with_text.is_escalated,
        with_text.escalation_reasons,
        with_text.customer_tier,
        top_driver.driver,
        top_driver.driver_tickets_7d,
        coalesce(top_driver.driver_tickets_7d / nullif(largest_driver.tickets_7d, 0), 0)
            as impact,
        coalesce(urgency.value, 0) as urgency,
        coalesce(tier_value.value, 0) as customer_value,
        with_text.sla_risk,
        with_text.is_sla_breached,
        greatest(0.0, least(1.0, 0.5 - 0.125 * sentiment.lexicon_score::double
            + case when sentiment.has_double_bang then 0.125 else 0 end
        )) as sentiment,
        sentiment.negative_terms,
    from with_text
    left join top_driver using (report_date, ticket_id)
    left join largest_driver using (report_date)
    left join sentiment using (report_date, ticket_id)
    left join config.urgency_by_priority as urgency on urgency.name = with_text.priority
    left join config.value_by_tier as tier_value on tier_value.name = with_text.customer_tier
),

scored as (
    select
        components.*,
        round(100 * (
            impact_weight * impact
            + urgency_weight * urgency
            + customer_value_weight * customer_value
            + sla_risk_weight * sla_risk
            + sentiment_weight * sentiment
        ), 2) as score,
    from components
    cross join weights
),

final as (
    select
        report_date,
        ticket_id,
        row_number() over (
            partition by report_date order by score desc, created_at, ticket_id
        ) as work_rank,
        score,
        status,
        priority,
        own_priority,
        is_escalated,
        customer_tier,
        driver,
        driver_tickets_7d,
        impact,
        urgency,
        customer_value,
        sla_risk,
        sentiment,
        list_filter([
            case when is_escalated then escalation_reasons[1]
                when priority in ('urgent', 'high') then priority || ' priority' end,
            case when customer_value >= 0.7 then customer_tier || ' customer' end,
            -- its size is driver_tickets_7d: a number, worded by the digest as every count
            case when driver is not null and impact >= 0.5 then 'driver ' || driver end,
            case
                when is_sla_breached then 'SLA breached'
                when sla_risk >= 0.75 then 'SLA ' || round(100 * sla_risk)::integer
                    || '% elapsed'
            end,
            case when sentiment >= 0.75 then 'customer sounds upset ('
                || array_to_string(negative_terms[1:3], ', ') || ')' end
        ], lambda reason: reason is not null) as reasons,
    from scored
)

select * from final
