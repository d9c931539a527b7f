-- one row per driver per report day: among tickets solved in the last 28 days (last solve
-- in D-27..D), how many are lookup or process work: the automation candidate list
-- Counted per driver and solve day first, then summed over each report day's 28 days
-- (a ticket is counted once, not once for each of the 28 days it is in).
-- incremental: report_date
with

days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from')
),

ticket_drivers as (
    select * from intermediate.int_ticket_drivers
),

solved as (
    select
        effort.ticket_id,
        effort.last_solved_date,
        ticket_drivers.driver,
        nature.is_automatable,
    from marts.fct_ticket_effort as effort
    inner join marts.fct_ticket_nature as nature using (ticket_id)
    inner join ticket_drivers using (ticket_id)
    where effort.last_solved_date >= getvariable('build_from') - 27
),

solved_per_day as (
    select
        last_solved_date,
        driver,
        count(*) as solved_tickets,
        count(*) filter (where is_automatable) as automatable_tickets,
    from solved
    group by all
),

final as (
    select
        days.report_date,
        solved_per_day.driver,
        sum(solved_per_day.solved_tickets)::bigint as solved_tickets,
        sum(solved_per_day.automatable_tickets)::bigint as automatable_tickets,
        sum(solved_per_day.automatable_tickets)::bigint
            / sum(solved_per_day.solved_tickets)::bigint as automatable_share,
    from days
    inner join solved_per_day
        on solved_per_day.last_solved_date between days.report_date - 27 and days.report_date
    group by all
)

select * from final
