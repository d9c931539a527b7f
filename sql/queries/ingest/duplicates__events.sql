-- one row per events row of the load that repeats an event_id: exact copy or superseded
-- The kept row is the last one in the file.
with

candidates as (
    select
        typed.row_number,
        typed.event_id,
        records.record::varchar as content,
    from load_typed as typed
    inner join load_records as records using (row_number)
    where typed.row_number not in (select row_number from load_bad)
),

ranked as (
    select
        *,
        row_number() over latest_first as recency_rank,
        first(content) over latest_first as kept_content,
    from candidates
    window latest_first as (partition by event_id order by row_number desc)
),

final as (
    select row_number, content = kept_content as is_exact_copy
    from ranked
    where recency_rank > 1
)

select * from final
