-- one row per report day from the first loaded export: inflow, outflow, reopened, backlog
-- backlog is the running sum of the status history's daily deltas, so
-- backlog(D) = backlog(D-1) + inflow(D) - outflow(D) + reopened(D) holds by construction.
-- history_days: report days from the first loaded export to D (days before it do not count,
-- days without an export after it do). The 7-day averages divide by window_days, the days
-- of D-6..D in that history: 7 from the 7th day on, fewer before (DECISIONLOG.md).
with

days as (
    select * from intermediate.int_report_days
),

history as (
    select * from intermediate.int_ticket_status_history
),

status_deltas as (
    select changed_date as report_date, to_status as status, 1 as delta
    from history
    union all
    select changed_date, from_status, -1
    from history
    where from_status is not null
),

daily_deltas as (
    select
        report_date,
        coalesce(sum(delta) filter (where status = 'new'), 0) as new_delta,
        coalesce(sum(delta) filter (where status = 'open'), 0) as open_delta,
        coalesce(sum(delta) filter (where status = 'pending'), 0) as pending_delta,
        coalesce(sum(delta) filter (where status = 'hold'), 0) as hold_delta,
    from status_deltas
    group by report_date
),

daily_flow as (
    select
        changed_date as report_date,
        count(*) filter (where is_creation) as inflow,
        count(*) filter (where is_solve) as outflow,
        count(*) filter (where is_reopen) as reopened,
    from history
    group by changed_date
),

joined as (
    select
        days.report_date,
        days.is_after_first_export,
        coalesce(daily_flow.inflow, 0) as inflow,
        coalesce(daily_flow.outflow, 0) as outflow,
        coalesce(daily_flow.reopened, 0) as reopened,
        sum(coalesce(daily_deltas.new_delta, 0)) over running as backlog_new,
        sum(coalesce(daily_deltas.open_delta, 0)) over running as backlog_open,
        sum(coalesce(daily_deltas.pending_delta, 0)) over running as backlog_pending,
        sum(coalesce(daily_deltas.hold_delta, 0)) over running as backlog_hold,
    from days
    left join daily_flow using (report_date)
    left join daily_deltas using (report_date)
    window running as (order by days.report_date rows unbounded preceding)
),

with_backlog as (
    select
        *,
        (backlog_new + backlog_open + backlog_pending + backlog_hold)::bigint as backlog,
        -- days before the first loaded export are not in the 7-day windows' history
        case when is_after_first_export then inflow else 0 end as counted_inflow,
        case when is_after_first_export then outflow else 0 end as counted_outflow,
        case when is_after_first_export then reopened else 0 end as counted_reopened,
    from joined
),

windowed as (
    select
        *,
        backlog - coalesce(lag(backlog, 1) over by_day, 0) as change_1d,
        backlog - coalesce(lag(backlog, 7) over by_day, 0) as change_7d,
        sum(counted_inflow) over last_7_days as inflow_7d,
        sum(counted_outflow) over last_7_days as outflow_7d,
        sum(counted_reopened) over last_7_days as reopened_7d,
        count(*) filter (where is_after_first_export) over running as history_days,
    from with_backlog
    window
        by_day as (order by report_date),
        running as (order by report_date rows unbounded preceding),
        last_7_days as (order by report_date rows between 6 preceding and current row)
),

crossing as (
    select
        *,
        least(7, history_days) as window_days,
        is_after_first_export and inflow_7d + reopened_7d > outflow_7d as is_inflow_above_outflow,
    from windowed
),

crossing_runs as (
    select
        *,
        count(*) filter (where not is_inflow_above_outflow) over by_day as run_id,
    from crossing
    window by_day as (order by report_date rows unbounded preceding)
),

final as (
    select
        report_date,
        inflow,
        outflow,
        reopened,
        inflow + reopened - outflow as net,
        backlog,
        backlog_new::bigint as backlog_new,
        backlog_open::bigint as backlog_open,
        backlog_pending::bigint as backlog_pending,
        backlog_hold::bigint as backlog_hold,
        change_1d::bigint as change_1d,
        change_7d::bigint as change_7d,
        inflow_7d::bigint as inflow_7d,
        outflow_7d::bigint as outflow_7d,
        reopened_7d::bigint as reopened_7d,
        history_days::bigint as history_days,
        window_days::bigint as window_days,
        inflow_7d / window_days as inflow_7d_avg,
        outflow_7d / window_days as outflow_7d_avg,
        reopened_7d / window_days as reopened_7d_avg,
        is_inflow_above_outflow,
        case
            when is_inflow_above_outflow
                then min(report_date) filter (where is_inflow_above_outflow)
                    over (partition by run_id)
        end as inflow_above_outflow_since,
        case
            when outflow_7d - inflow_7d - reopened_7d > 0
                then backlog / ((outflow_7d - inflow_7d - reopened_7d) / window_days)
        end as days_to_drain,
        greatest(0, round(backlog + 14 * (inflow_7d + reopened_7d - outflow_7d) / window_days))
            ::bigint
            as projected_backlog_14d,
        case when outflow_7d > 0 then backlog / (outflow_7d / window_days) end as backlog_days,
    from crossing_runs
    where is_after_first_export
)

select * from final
