-- one row per events row of the load that repeats an event_id: exact copy or superseded
-- The kept row is the last one in the file. Only the rows of an event_id that repeats
-- are compared as read (most rows of a load repeat nothing).
with

candidates as (
    select
        row_number,
        event_id,
    from load_typed
    where row_number not in (select row_number from load_bad)
),

repeated as (
    select *
    from candidates
    qualify count(*) over (partition by event_id) > 1
),

compared as (
    select
        repeated.*,
        records.record::varchar as content,
    from repeated
    inner join load_records as records using (row_number)
),

ranked as (
    select
        *,
        row_number() over latest_first as recency_rank,
        first(content) over latest_first as kept_content,
    from compared
    window latest_first as (partition by event_id order by row_number desc)
),

final as (
    select row_number, content = kept_content as is_exact_copy
    from ranked
    where recency_rank > 1
)

select * from final
