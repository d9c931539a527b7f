-- one row per backlog ticket per report day (as of the end of the day): age, reply, SLA clocks
-- A priority whose SLA clock is "business" counts its targets in business minutes of the
-- ticket's schedule, up to the as-of instant (the overlap with the open intervals).
-- incremental: report_date
with

days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from')
),

-- the unsolved spans still open at the end of the first day built
spans as (
    select * from intermediate.int_ticket_status_spans
    where is_unsolved
        and (valid_to is null or valid_to >= timezone(
            getvariable('report_timezone'), (getvariable('build_from') + 1)::timestamp
        ))
),

tickets as (
    select * from marts.fct_ticket_metrics where ticket_id in (select ticket_id from spans)
),

targets as (
    select * from config.sla_targets
),

open_intervals as (
    select * from intermediate.int_business_intervals
),

-- business seconds of each schedule from its first interval up to each day's as-of instant
as_of_business as (
    select
        day_schedules.report_date,
        day_schedules.schedule_name,
        coalesce(
            open_intervals.open_seconds_before
                + least(epoch(day_schedules.as_of_at) - epoch(open_intervals.opens_at),
                    open_intervals.open_seconds),
            0
        ) as business_seconds,
    from (
        select days.report_date, days.as_of_at, schedules.schedule_name,
        from days
        cross join (select distinct schedule_name from config.business_schedule_versions) as schedules
    ) as day_schedules
    asof left join open_intervals
        on open_intervals.schedule_name = day_schedules.schedule_name
        and day_schedules.as_of_at >= open_intervals.opens_at
),

-- business seconds up to each ticket's creation
created_business as (
    select
        tickets.ticket_id,
        coalesce(
            open_intervals.open_seconds_before
                + least(epoch(tickets.created_at) - epoch(open_intervals.opens_at),
                    open_intervals.open_seconds),
            0
        ) as business_seconds,
    from (select * from tickets where business_schedule is not null) as tickets
    asof left join open_intervals
        on open_intervals.schedule_name = tickets.business_schedule
        and tickets.created_at >= open_intervals.opens_at
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
        (as_of_business.business_seconds - created_business.business_seconds) / 60
            as business_age_minutes,
        tickets.first_reply_business_minutes,
        coalesce(targets.is_business_clock, normal_targets.is_business_clock)
            and tickets.business_schedule is not null as is_business_clock,
        coalesce(targets.first_reply_minutes, normal_targets.first_reply_minutes)
            as first_reply_target_minutes,
        coalesce(targets.resolution_minutes, normal_targets.resolution_minutes)
            as resolution_target_minutes,
    from open_on_day
    inner join tickets using (ticket_id)
    left join targets on targets.priority = tickets.priority
    cross join (select * from targets where priority = 'normal') as normal_targets
    left join created_business using (ticket_id)
    left join as_of_business
        on as_of_business.report_date = open_on_day.report_date
        and as_of_business.schedule_name = tickets.business_schedule
),

-- the SLA's clock: calendar minutes, or business minutes where the priority says so
sla_clocks as (
    select
        *,
        case when is_business_clock then business_age_minutes else age_minutes end
            as sla_age_minutes,
        case
            when first_reply_at is null then null
            when is_business_clock then first_reply_business_minutes
            else (epoch(first_reply_at) - epoch(created_at)) / 60
        end as sla_first_reply_minutes,
    from clocks
),

flags as (
    select
        *,
        age_minutes / 1440 as age_days,
        first_reply_at is null as is_unreplied,
        case
            when first_reply_at is not null
                then sla_first_reply_minutes > first_reply_target_minutes
            else sla_age_minutes > first_reply_target_minutes
        end as is_first_reply_breached,
        sla_age_minutes > resolution_target_minutes as is_resolution_breached,
        greatest(
            case when first_reply_at is null then sla_age_minutes / first_reply_target_minutes end,
            sla_age_minutes / resolution_target_minutes
        ) as sla_elapsed_fraction,
    from sla_clocks
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
        case when is_business_clock then 'business' else 'calendar' end as sla_clock,
        sla_age_minutes,
        is_first_reply_breached,
        is_resolution_breached,
        is_first_reply_breached or is_resolution_breached as is_sla_breached,
        least(sla_elapsed_fraction, 1.0) as sla_risk,
        not (is_first_reply_breached or is_resolution_breached)
            and sla_elapsed_fraction >= 0.75 as is_sla_at_risk,
    from flags
)

select * from final
