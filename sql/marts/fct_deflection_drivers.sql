-- one row per report day per driver among its 3 largest: the staffing gap it would close
-- per_day: tickets_7d / 7 (over the days of history until there are 7, as the 7-day
-- averages of fct_daily_flow); gap_share_closed: per_day / gap, at most 1, null when there is no
-- gap (marts.fct_staffing_gap). A ticket with two drivers counts for both, so the shares do
-- not add up. "3 drivers" is a constant of the review pack, not a setting.
-- incremental: report_date
with

drivers as (
    select * from marts.fct_drivers_daily
    where report_date >= getvariable('build_from') and tickets_7d > 0
),

flow as (
    select report_date, window_days from marts.fct_daily_flow
    where report_date >= getvariable('build_from')
),

gaps as (
    select * from marts.fct_staffing_gap where report_date >= getvariable('build_from')
),

ranked as (
    select
        report_date,
        driver,
        tickets_7d,
        row_number() over (partition by report_date order by tickets_7d desc, driver)
            as driver_rank,
    from drivers
),

final as (
    select
        ranked.report_date,
        ranked.driver_rank,
        ranked.driver,
        ranked.tickets_7d,
        ranked.tickets_7d / flow.window_days as per_day,
        case when gaps.gap_per_day > 0
            then least(1.0, (ranked.tickets_7d / flow.window_days) / gaps.gap_per_day)
        end as gap_share_closed,
    from ranked
    inner join flow using (report_date)
    left join gaps using (report_date)
    where ranked.driver_rank <= 3
)

select * from final
