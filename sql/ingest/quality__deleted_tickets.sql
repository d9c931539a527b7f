-- one row: how many tickets are deleted as of export day $export_date
-- A ticket counts when its latest version among the exports up to that day (latest
-- updated_at, then export, then row, as staging.stg_tickets orders them) says deleted.
with

versions as (
    select * from staging.stg_ticket_versions
    where export_date <= $export_date
),

ranked as (
    select
        ticket_id,
        status,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, export_date desc, row_number desc
        ) as recency_rank,
    from versions
),

final as (
    select count(*) as deleted_tickets
    from ranked
    where recency_rank = 1 and status = 'deleted'
)

select * from final
