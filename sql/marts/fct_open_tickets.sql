-- one row per backlog ticket per report day (as of the end of the day): age, reply, SLA clocks
-- incremental: report_date
with

days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from')
),

spans as (
    select * from intermediate.int_ticket_status_spans where is_unsolved
),

tickets as (
    select * from marts.fct_ticket_metrics
),

targets as (
    select * from config.sla_targets
),

open_on_day as (
    select
        days.report_date,
        days.as_of_at,
        spans.ticket_id,
        spans.status,
        spans.valid_from as status_since,
    from days
    inner join spans
        on spans.valid_from < days.as_of_at
        and (spans.valid_to is null or spans.valid_to >= days.as_of_at)
),

clocks as (
    select
        open_on_day.*,
        tickets.created_at,
        tickets.requester_id,
        tickets.priority,
        tickets.customer_tier,
        tickets.tags,
        case when tickets.first_reply_at < open_on_day.as_of_at then tickets.first_reply_at end
            as first_reply_at,
        (epoch(open_on_day.as_of_at) - epoch(tickets.created_at)) / 60 as age_minutes,
        coalesce(targets.first_reply_minutes, normal_targets.first_reply_minutes)
            as first_reply_target_minutes,
        coalesce(targets.resolution_minutes, normal_targets.resolution_minutes)
            as resolution_target_minutes,
    from open_on_day
    inner join tickets using (ticket_id)
    left join targets on targets.priority = tickets.priority
    cross join (select * from targets where priority = 'normal') as normal_targets
),

flags as (
    select
        *,
        age_minutes / 1440 as age_days,
        first_reply_at is null as is_unreplied,
        case
            when first_reply_at is not null
                then (epoch(first_reply_at) - epoch(created_at)) / 60 > first_reply_target_minutes
            else age_minutes > first_reply_target_minutes
        end as is_first_reply_breached,
        age_minutes > resolution_target_minutes as is_resolution_breached,
        greatest(
            case when first_reply_at is null then age_minutes / first_reply_target_minutes end,
            age_minutes / resolution_target_minutes
        ) as sla_elapsed_fraction,
    from clocks
),

final as (
    select
        report_date,
        ticket_id,
        status,
        status_since,
        created_at,
        requester_id,
        priority,
        customer_tier,
        tags,
        age_days,
        case
            when age_days < 1 then '0-1d'
            when age_days < 3 then '1-3d'
            when age_days < 7 then '3-7d'
            when age_days < 14 then '7-14d'
            when age_days < 30 then '14-30d'
            else '30d+'
        end as age_bucket,
        first_reply_at,
        is_unreplied,
        first_reply_target_minutes,
        resolution_target_minutes,
        is_first_reply_breached,
        is_resolution_breached,
        is_first_reply_breached or is_resolution_breached as is_sla_breached,
        least(sla_elapsed_fraction, 1.0) as sla_risk,
        not (is_first_reply_breached or is_resolution_breached)
            and sla_elapsed_fraction >= 0.75 as is_sla_at_risk,
    from flags
)

select * from final
