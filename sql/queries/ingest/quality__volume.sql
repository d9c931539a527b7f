-- one row per entity: rows read on $export_date against earlier loaded days of the window
-- ($entities: the canonical entities; $window_days: the window's length)
-- Only days of the same kind count (weekdays against weekdays, Saturdays and Sundays
-- against weekend days): a quiet weekend is not a truncated export. An earlier day
-- counts when any file of it is loaded; an entity without a file that day counts as
-- 0 rows, so a missing events file shows up against days that had one.
with

loads as (
    select * from ops.loads
),

entities as (
    select unnest($entities::varchar[]) as entity
),

history_days as (
    select distinct export_date
    from loads
    where export_date < $export_date
        and export_date >= $export_date - $window_days::integer
        and (isodow(export_date) >= 6) = (isodow($export_date::date) >= 6)
),

history as (
    select
        entities.entity,
        history_days.export_date,
        coalesce(sum(loads.rows_read), 0) as rows_read,
    from history_days
    cross join entities
    left join loads
        on loads.export_date = history_days.export_date
        and loads.entity = entities.entity
    group by all
),

today as (
    select
        entities.entity,
        coalesce(sum(loads.rows_read), 0) as rows_read,
    from entities
    left join loads
        on loads.entity = entities.entity
        and loads.export_date = $export_date
    group by all
),

final as (
    select
        today.entity,
        today.rows_read,
        count(history.export_date) as history_days,
        median(history.rows_read) as trailing_median,
    from today
    left join history using (entity)
    group by all
)

select * from final
order by entity desc
