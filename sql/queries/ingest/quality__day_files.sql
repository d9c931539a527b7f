-- one row per file loaded for export day $export_date: its ledger counts
with

loads as (
    select * from ops.loads
    where export_date = $export_date
),

final as (
    select
        entity,
        source_file,
        rows_read,
        rows_loaded,
        rows_quarantined,
    from loads
)

select * from final
order by entity desc, source_file
