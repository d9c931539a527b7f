-- one row per tickets row of the load that repeats a ticket_id: exact copy or superseded
-- The kept row is the latest updated_at (then the last in the file); rows already
-- quarantined (listed in the temp table `load_bad`) take no part. Only the rows of a
-- ticket_id that repeats are compared as read (most rows of a load repeat nothing).
with

candidates as (
    select
        row_number,
        ticket_id,
        updated_at,
    from load_typed
    where ticket_id is not null
        and row_number not in (select row_number from load_bad)
),

repeated_ids as (
    select ticket_id
    from candidates
    group by ticket_id
    having count(*) > 1
),

compared as (
    select
        candidates.*,
        records.record::varchar as content,
    from candidates
    inner join repeated_ids using (ticket_id)
    inner join load_records as records using (row_number)
),

ranked as (
    select
        *,
        row_number() over latest_first as recency_rank,
        first(content) over latest_first as kept_content,
    from compared
    window latest_first as (partition by ticket_id order by updated_at desc, row_number desc)
),

final as (
    select row_number, content = kept_content as is_exact_copy
    from ranked
    where recency_rank > 1
)

select * from final
