-- one row per report day, from the earliest known ticket to the last loaded export
-- Days before the first loaded export are kept (backlog is known there) but flagged,
-- because the 7-day averages count their flow as zero.
with

bounds as (
    select
        (select min(export_date) from ops.loads) as first_export_date,
        (select max(export_date) from ops.loads) as last_export_date,
        (select min(changed_date) from intermediate.int_ticket_status_history)
            as first_history_date,
),

days as (
    select
        unnest(
            generate_series(
                least(first_export_date, coalesce(first_history_date, first_export_date)),
                greatest(last_export_date,
                    (select max(changed_date) from intermediate.int_ticket_status_history)),
                interval 1 day
            )
        )::date as report_date,
        first_export_date,
        last_export_date,
    from bounds
),

final as (
    select
        report_date,
        report_date >= first_export_date as is_after_first_export,
        report_date <= last_export_date as is_loaded_period,
        -- "as of D" is the end of D in the report time zone
        timezone(getvariable('report_timezone'), report_date::timestamp) as day_start_at,
        timezone(getvariable('report_timezone'), (report_date + 1)::timestamp) as as_of_at,
    from days
)

select * from final
