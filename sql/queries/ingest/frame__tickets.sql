-- one row per tickets row of one load that the reader could split: what the GX suite reads
-- Reads the temp table `load_typed`: only the columns the expectations read, plus the
-- bounds of a plausible instant (the end of the day after the export, in
-- $source_timezone). A timestamp's text is kept when it did not parse.
with

typed as (
    select * from load_typed
),

final as (
    select
        row_number,
        ticket_id,
        created_at,
        updated_at,
        solved_at,
        first_reply_at,
        status,
        requester_id,
        priority,
        case when solved_at is null then solved_at_text end as solved_at_unparsed,
        case when first_reply_at is null then first_reply_at_text end
            as first_reply_at_unparsed,
        timestamptz '1990-01-01 00:00:00+00' as earliest_plausible_at,
        timezone($source_timezone, (export_date + 2)::timestamp) as latest_plausible_at,
    from typed
)

select * from final
order by row_number
