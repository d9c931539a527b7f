-- one row per row-level check of a load of export day $export_date that set rows aside
-- or flagged them (the GX suite's expectations, well-formed rows, duplicates), worst first
with

results as (
    select * from ops.validation_results
    where export_date = $export_date
        and not success
        and unexpected_count > 0
),

loads as (
    select * from ops.loads
),

final as (
    select
        results.load_id,
        loads.source_file,
        results.expectation,
        results.severity,
        results.unexpected_count,
        results.message,
        results.entity,
        results.column_name,
    from results
    inner join loads using (load_id)
)

select * from final
order by entity desc, severity, expectation, column_name
