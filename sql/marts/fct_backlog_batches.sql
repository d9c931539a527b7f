-- one row per driver per report day with >= batch_min_size backlog tickets:
-- one person, one sitting, one saved reply
-- incremental: report_date
with

open_tickets as (
    select open_tickets.report_date, open_tickets.ticket_id, ticket_drivers.driver
    from marts.fct_open_tickets as open_tickets
    inner join intermediate.int_ticket_drivers as ticket_drivers using (ticket_id)
    where open_tickets.report_date >= getvariable('build_from')
),

settings as (
    select * from config.work_settings
),

final as (
    select
        report_date,
        driver,
        count(*) as open_tickets,
        list(ticket_id order by ticket_id) as ticket_ids,
    from open_tickets
    group by report_date, driver
    having count(*) >= (select batch_min_size from settings)
)

select * from final
