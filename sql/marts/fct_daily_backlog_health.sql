-- one row per report day from the first loaded export: aging, unreplied and SLA of the backlog
-- incremental: report_date
with

days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from')
),

open_tickets as (
    select * from marts.fct_open_tickets where report_date >= getvariable('build_from')
),

per_day as (
    select
        report_date,
        count(*) filter (where age_bucket = '0-1d') as aged_0_1d,
        count(*) filter (where age_bucket = '1-3d') as aged_1_3d,
        count(*) filter (where age_bucket = '3-7d') as aged_3_7d,
        count(*) filter (where age_bucket = '7-14d') as aged_7_14d,
        count(*) filter (where age_bucket = '14-30d') as aged_14_30d,
        count(*) filter (where age_bucket = '30d+') as aged_30d_plus,
        first(ticket_id order by created_at, ticket_id) as oldest_ticket_id,
        max(age_days) as oldest_age_days,
        count(*) filter (where is_unreplied) as unreplied_open,
        max(age_days) filter (where is_unreplied) * 24 as oldest_unreplied_age_hours,
        count(*) filter (where is_sla_breached) as sla_breached_open,
        count(*) filter (where is_sla_at_risk) as sla_at_risk_open,
    from open_tickets
    group by report_date
),

final as (
    select
        days.report_date,
        coalesce(per_day.aged_0_1d, 0) as aged_0_1d,
        coalesce(per_day.aged_1_3d, 0) as aged_1_3d,
        coalesce(per_day.aged_3_7d, 0) as aged_3_7d,
        coalesce(per_day.aged_7_14d, 0) as aged_7_14d,
        coalesce(per_day.aged_14_30d, 0) as aged_14_30d,
        coalesce(per_day.aged_30d_plus, 0) as aged_30d_plus,
        per_day.oldest_ticket_id,
        per_day.oldest_age_days,
        coalesce(per_day.unreplied_open, 0) as unreplied_open,
        per_day.oldest_unreplied_age_hours,
        coalesce(per_day.sla_breached_open, 0) as sla_breached_open,
        coalesce(per_day.sla_at_risk_open, 0) as sla_at_risk_open,
    from days
    left join per_day using (report_date)
)

select * from final
