-- one row per file- or day-level check of export day $export_date (drift, share, volume)
with

checks as (
    select * from ops.quality_checks
    where export_date = $export_date
),

final as (
    select
        entity,
        check_name,
        severity,
        success,
        observed,
        threshold,
        message,
        subject,
    from checks
)

select * from final
order by entity desc, check_name, subject
