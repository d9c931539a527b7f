-- one row per report day and hour of day with tickets created: the weekday x hour heat map's
-- raw counts (report time zone)
-- incremental: report_date
with

tickets as (
    select * from marts.fct_ticket_metrics
    where created_date >= getvariable('build_from')
),

final as (
    select
        created_date as report_date,
        dayofweek(created_date) as weekday,
        hour(timezone(getvariable('report_timezone'), created_at)) as hour_of_day,
        count(*) as tickets_created,
    from tickets
    group by all
)

select * from final
