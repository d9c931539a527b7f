-- one row: how many loads of $entity came before $export_date, and the unknown columns they had
with

loads as (
    select * from ops.loads
    where entity = $entity
        and export_date < $export_date
),

extra_columns as (
    select distinct unnest(extra_columns) as column_name
    from loads
),

final as (
    select
        (select count(*) from loads) as earlier_loads,
        (select coalesce(list(column_name order by column_name), []) from extra_columns)
            as column_names
)

select * from final
