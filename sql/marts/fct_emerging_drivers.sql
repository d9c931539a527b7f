-- one row per driver per report day it is emerging: new, spiking or growing fast
-- From marts.fct_drivers_daily. new: no tickets in the baseline and at least 3 in the last 7
-- days; spike: the digest's spike rule (is_spike, config.driver_settings); growing: at least
-- 5 tickets and 1.5x the baseline. 3, 5 and 1.5 are constants of the review pack (its note
-- states them; tasks/reports/review_drivers.py), not settings. excess_tickets: tickets_7d -
-- baseline_weekly, the order of the review's list.
-- incremental: report_date
with

drivers as (
    select * from marts.fct_drivers_daily where report_date >= getvariable('build_from')
),

classified as (
    select
        report_date,
        driver,
        tickets_7d,
        baseline_weekly,
        growth,
        is_spike,
        case
            when baseline_weekly = 0 and tickets_7d >= 3 then 'new'
            when is_spike then 'spike'
            when tickets_7d >= 5 and growth is not null and growth >= 1.5 then 'growing'
        end as emerging_reason,
        tickets_7d - baseline_weekly as excess_tickets,
    from drivers
),

final as (
    select * from classified where emerging_reason is not null
)

select * from final
