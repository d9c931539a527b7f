-- one row per report day whose scheduled digest covers more than one day
-- The days since the previous digest's report day: D's morning digest ([schedule]
-- daily_cron, config.digest_schedule) comes more than a day after the previous one (the
-- Monday after a weekday-only schedule covers Friday to Sunday). The counts are sums of
-- fct_daily_flow over previous_digest_date + 1 .. D; backlog_change is the backlog's level
-- at the end of D minus its level at the end of previous_digest_date, so
-- backlog_change = inflow + reopened - outflow (assert_since_last_digest_adds_up).
with

flow as (
    select * from marts.fct_daily_flow
),

schedule as (
    select * from config.digest_schedule
),

periods as (
    select
        flow.report_date,
        (flow.report_date - schedule.days_covered)::date as previous_digest_date,
        schedule.days_covered as period_days,
    from flow
    inner join schedule
        on isodow(flow.report_date) = schedule.report_weekday
    where schedule.days_covered > 1
),

sums as (
    select
        periods.report_date,
        sum(flow.inflow)::bigint as inflow,
        sum(flow.outflow)::bigint as outflow,
        sum(flow.reopened)::bigint as reopened,
    from periods
    inner join flow
        on flow.report_date > periods.previous_digest_date
        and flow.report_date <= periods.report_date
    group by periods.report_date
),

final as (
    select
        periods.report_date,
        periods.previous_digest_date,
        (periods.previous_digest_date + 1)::date as period_start_date,
        periods.period_days::bigint as period_days,
        sums.inflow,
        sums.outflow,
        sums.reopened,
        sums.inflow + sums.reopened - sums.outflow as net,
        -- the backlog is 0 before the first day the history knows of
        (at_end.backlog - coalesce(before.backlog, 0))::bigint as backlog_change,
    from periods
    inner join sums using (report_date)
    inner join flow as at_end
        on at_end.report_date = periods.report_date
    left join flow as before
        on before.report_date = periods.previous_digest_date
)

select * from final
