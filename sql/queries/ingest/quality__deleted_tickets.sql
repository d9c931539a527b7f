-- one row: how many tickets are deleted as of export day $export_date
-- A ticket counts when its latest version among the exports up to that day (latest
-- updated_at, then export, then row, as staging.stg_tickets orders them) says deleted.
-- Only tickets with a deleted version anywhere can count: they are found first (a scan
-- of the status column), so the latest version is looked up for a handful of tickets,
-- and no copy of the whole history is made on the way.
with

ever_deleted as (
    select distinct ticket_id
    from staging.stg_ticket_versions
    where export_date <= $export_date
        and status = 'deleted'
),

latest as (
    select
        ticket_id,
        arg_max(status, (updated_at, export_date, row_number, load_id)) as status,
    from staging.stg_ticket_versions
    where export_date <= $export_date
        and ticket_id in (select ticket_id from ever_deleted)
    group by ticket_id
),

final as (
    select count(*) as deleted_tickets
    from latest
    where status = 'deleted'
)

select * from final
