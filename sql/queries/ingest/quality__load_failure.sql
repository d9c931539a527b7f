-- one row when export day $export_date has a fatal file: the failure's message
with

failures as (
    select * from ops.load_failures
    where export_date = $export_date
),

final as (
    select message from failures
)

select * from final
