-- one row per events row of one load that the reader could split: what the GX suite reads
-- Reads the temp table `load_typed`: only the columns the expectations read (an
-- extension's expectation on another column gets it added: `frame_sql`), plus the
-- bounds of a plausible instant (the end of the day after the export, in
-- $source_timezone).
with

typed as (
    select * from load_typed
),

final as (
    select
        row_number,
        ticket_id,
        occurred_at,
        kind,
        author_role,
        case when kind = 'status_change' then coalesce(to_value, '(missing)') end
            as status_change_to,
        timestamptz '1990-01-01 00:00:00+00' as earliest_plausible_at,
        timezone($source_timezone, (export_date + 2)::timestamp) as latest_plausible_at,
    from typed
)

select * from final
order by row_number
