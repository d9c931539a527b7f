-- one row per tickets row of the load that repeats a ticket_id: exact copy or superseded
-- The kept row is the latest updated_at (then the last in the file); rows already
-- quarantined (listed in the temp table `load_bad`) take no part.
with

candidates as (
    select
        typed.row_number,
        typed.ticket_id,
        typed.updated_at,
        records.record::varchar as content,
    from load_typed as typed
    inner join load_records as records using (row_number)
    where typed.ticket_id is not null
        and typed.row_number not in (select row_number from load_bad)
),

ranked as (
    select
        *,
        row_number() over latest_first as recency_rank,
        first(content) over latest_first as kept_content,
    from candidates
    window latest_first as (partition by ticket_id order by updated_at desc, row_number desc)
),

final as (
    select row_number, content = kept_content as is_exact_copy
    from ranked
    where recency_rank > 1
)

select * from final
