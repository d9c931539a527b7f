-- one row per driver the digest lists on the report day: the top $top_n by tickets_7d
-- (ties by name) and every spike, largest first. A spike counts only once its baseline's
-- 28 days all lie in loaded exports (is_baseline_complete): before that the baseline
-- holds only what the first exports show of earlier days, and every driver would spike.
-- Parameters: $report_date (date), $top_n (integer).
with

drivers as (
    select * from marts.fct_drivers_daily
    where report_date = $report_date::date and tickets_7d > 0
),

ranked as (
    select
        *,
        is_spike and is_baseline_complete as is_shown_spike,
        row_number() over (order by tickets_7d desc, driver) as driver_rank,
    from drivers
),

final as (
    select
        driver,
        tickets_7d,
        baseline_weekly,
        share_7d,
        growth,
        is_shown_spike as spike,
        is_baseline_complete as baseline_complete,
        driver_rank,
    from ranked
    where driver_rank <= $top_n or is_shown_spike
)

select * from final order by driver_rank
