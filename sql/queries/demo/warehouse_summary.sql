-- one row: what the demo's warehouse holds after its backfill (the CLI's `demo` message):
-- every ticket of the exports (created in the exported days, or older and open or updated
-- in them), once, and the report days its marts cover
with

tickets as (
    select * from staging.stg_tickets
),

flow as (
    select * from marts.fct_daily_flow
),

final as (
    select
        (select count(*) from tickets) as tickets,
        (select count(*) from flow) as report_days,
        (select max(report_date) from flow) as last_day,
)

select * from final
