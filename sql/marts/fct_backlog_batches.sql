-- one row per driver per report day with >= batch_min_size backlog tickets:
-- one person, one sitting, one saved reply
-- incremental: report_date
with

open_tickets as (
    select report_date, ticket_id, unnest(tags) as driver
    from marts.fct_open_tickets
    where report_date >= getvariable('build_from')
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
