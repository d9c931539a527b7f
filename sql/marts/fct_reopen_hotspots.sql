-- one row per ISO week per driver: tickets first solved that week, reopened within 7 days
-- week_start: the Monday; the days: report days from the first loaded export to the last
-- (intermediate.int_report_days), so a partial week counts its loaded days only. driver:
-- intermediate.int_ticket_drivers (a ticket with two drivers counts for both). Reopens are
-- counted as far as the warehouse knows: the last days' 7-day windows may still be open.
with

days as (
    select report_date, date_trunc('week', report_date)::date as week_start
    from intermediate.int_report_days
    where is_after_first_export and is_loaded_period
),

tickets as (
    select ticket_id, first_solved_date, is_reopened_within_7d from marts.fct_ticket_metrics
),

ticket_drivers as (
    select * from intermediate.int_ticket_drivers
),

-- one row per ticket and driver (the keys of fct_ticket_metrics, int_ticket_drivers and
-- int_report_days, checked after each build), so counting rows counts tickets: a count of
-- distinct tickets per week and driver cost ten times more at a year
solved as (
    select days.week_start, ticket_drivers.driver, tickets.is_reopened_within_7d
    from tickets
    inner join days on days.report_date = tickets.first_solved_date
    inner join ticket_drivers using (ticket_id)
),

final as (
    select
        week_start,
        driver,
        count(*) as solved_tickets,
        count(*) filter (where is_reopened_within_7d) as reopened_tickets,
    from solved
    group by week_start, driver
)

select * from final
