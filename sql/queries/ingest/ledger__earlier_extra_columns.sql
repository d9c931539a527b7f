-- one row per unknown column of $entity that a load before $export_date already had
with

loads as (
    select * from ops.loads
    where entity = $entity
        and export_date < $export_date
),

final as (
    select distinct unnest(extra_columns) as column_name
    from loads
)

select * from final
