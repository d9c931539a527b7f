-- one row per row of the current $entity load set aside: its reason and its row as read
-- Reads the temp tables `load_records` (the rows as read) and `load_bad` (the rows to
-- quarantine, with the reason); inserted into ops.quarantine.
with

records as (
    select * from load_records
),

bad as (
    select * from load_bad
),

final as (
    select
        records.load_id,
        records.export_date,
        $entity as entity,
        records.source_file,
        records.row_number,
        bad.reason,
        records.record,
        records.line_number,
        records.raw_text,
    from records
    inner join bad using (row_number)
)

select * from final
