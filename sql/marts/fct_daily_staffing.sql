-- one row per report day from the first loaded export: the staffing arithmetic (docs/metrics.md)
-- active agents: distinct agents who commented or changed a status that day; the outflow
-- needed to bring the backlog to the target (target_backlog_days of outflow) within
-- drain_within_days, on top of the current inflow.
-- incremental: report_date
with

-- the report days from 6 days before the first one built (the 7-day window's days)
days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from') - 6
),

flow as (
    select * from marts.fct_daily_flow where report_date >= getvariable('build_from')
),

settings as (
    select * from config.staffing_settings
),

agent_activity as (
    select
        timezone(getvariable('report_timezone'), occurred_at)::date as report_date,
        count(distinct author_id) as active_agents,
    from staging.stg_events
    where author_role = 'agent' and author_id is not null
        and kind in ('comment', 'status_change')
        -- from the start of the window's first day
        and occurred_at >= timezone(
            getvariable('report_timezone'), (getvariable('build_from') - 6)::timestamp
        )
    group by all
),

windowed as (
    select
        days.report_date,
        coalesce(agent_activity.active_agents, 0) as active_agents,
        sum(coalesce(agent_activity.active_agents, 0)) over last_7_days as agent_days_7d,
    from days
    left join agent_activity using (report_date)
    window last_7_days as (order by days.report_date rows between 6 preceding and current row)
),

final as (
    select
        flow.report_date,
        windowed.active_agents,
        case when windowed.active_agents > 0
            then flow.outflow / windowed.active_agents end as outflow_per_agent,
        case when windowed.agent_days_7d > 0
            then flow.outflow_7d / windowed.agent_days_7d end as outflow_per_agent_7d,
        settings.target_backlog_days * flow.outflow_7d_avg as target_backlog,
        flow.inflow_7d_avg + flow.reopened_7d_avg
            + greatest(0, flow.backlog - settings.target_backlog_days * flow.outflow_7d_avg)
                / settings.drain_within_days as outflow_needed_per_day,
        flow.inflow_7d_avg + flow.reopened_7d_avg
            + greatest(0, flow.backlog - settings.target_backlog_days * flow.outflow_7d_avg)
                / settings.drain_within_days
            - flow.outflow_7d_avg as outflow_gap_per_day,
    from flow
    inner join windowed using (report_date)
    cross join settings
)

select * from final
