-- one row per open interval per business-hours schedule ([opens_at, closes_at), UTC)
-- With the schedule's open seconds before it, so the business time up to an instant t is
-- open_seconds_before + least(t - opens_at, open_seconds) of the last interval opened by t
-- (an as-of join), and business time between two instants the difference of the two.
-- Empty without [business_hours]. Rows: ops.business_intervals (tasks/models/open_intervals.py).
with

intervals as (
    select * from ops.business_intervals
),

final as (
    select
        schedule_name,
        opens_at,
        closes_at,
        epoch(closes_at) - epoch(opens_at) as open_seconds,
        coalesce(
            sum(epoch(closes_at) - epoch(opens_at)) over (
                partition by schedule_name
                order by opens_at
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as open_seconds_before,
    from intervals
)

select * from final
