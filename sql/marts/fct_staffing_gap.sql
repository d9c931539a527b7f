-- one row per report day with staffing figures: the outflow needed vs the last 4 weeks'
-- needed: fct_daily_staffing.outflow_needed_per_day; actual: the mean daily outflow of
-- fct_daily_flow over D-27..D (fewer days when the flow starts later; "the last 4 weeks" is
-- a constant of the review pack, not a setting); gap: needed - actual (> 0: short of it).
-- incremental: report_date
with

staffing as (
    select * from marts.fct_daily_staffing where report_date >= getvariable('build_from')
),

flow as (
    select * from marts.fct_daily_flow
),

outflow_28d as (
    select
        staffing.report_date,
        avg(flow.outflow) as actual_per_day,
        count(*) as actual_days,
    from staffing
    inner join flow on flow.report_date between staffing.report_date - 27 and staffing.report_date
    group by staffing.report_date
),

final as (
    select
        staffing.report_date,
        staffing.outflow_needed_per_day as needed_per_day,
        staffing.target_backlog,
        day_flow.backlog,
        outflow_28d.actual_per_day,
        outflow_28d.actual_days,
        staffing.outflow_needed_per_day - outflow_28d.actual_per_day as gap_per_day,
    from staffing
    inner join flow as day_flow using (report_date)
    inner join outflow_28d using (report_date)
)

select * from final
