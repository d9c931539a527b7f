-- one row per day from the first known export day to $last_date: whether it loaded, failed
-- A day is complete when its export loaded and its last load attempt did not fail; a day
-- with neither a load nor a failure had no export (a gap in the history).
with

loads as (
    select distinct export_date from ops.loads
),

failures as (
    select export_date from ops.load_failures
),

known as (
    select export_date from loads
    union
    select export_date from failures
),

days as (
    select unnest(generate_series(
        (select min(export_date) from known), $last_date::date, interval 1 day
    ))::date as export_date
),

final as (
    select
        days.export_date,
        days.export_date in (select export_date from loads) as has_load,
        days.export_date in (select export_date from failures) as has_failure,
    from days
)

select * from final
order by export_date
