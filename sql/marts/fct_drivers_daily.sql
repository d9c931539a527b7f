-- one row per driver per report day from the first loaded export, where it has tickets
-- driver: intermediate.int_ticket_drivers (a tag, or the value of the field named by
-- config drivers.dimension).
-- tickets_7d: created in D-6..D; baseline_weekly: created in D-34..D-7, divided by 4.
-- incremental: report_date
with

-- the report days from 34 days before the first one built (the baseline window's days)
days as (
    select * from intermediate.int_report_days
    where report_date >= getvariable('build_from') - 34
),

-- the tickets some built day's windows count
tickets as (
    select ticket_id, created_date from marts.fct_ticket_metrics
    where created_date >= getvariable('build_from') - 34
),

settings as (
    select * from config.driver_settings
),

ticket_drivers as (
    select * from intermediate.int_ticket_drivers
),

tagged as (
    select tickets.ticket_id, tickets.created_date, ticket_drivers.driver
    from tickets
    inner join ticket_drivers using (ticket_id)
),

created_per_day as (
    select created_date as report_date, count(*) as created
    from tickets
    group by created_date
),

driver_per_day as (
    select driver, created_date as report_date, count(distinct ticket_id) as created
    from tagged
    group by driver, created_date
),

first_export as (
    select min(export_date) as first_export_date from ops.loads
),

grid as (
    select drivers.driver, days.report_date, days.is_after_first_export
    from (select distinct driver from tagged) as drivers
    cross join days
),

inflow_windows as (
    select
        days.report_date,
        coalesce(sum(created_per_day.created) over last_7_days, 0) as inflow_7d,
    from days
    left join created_per_day using (report_date)
    window last_7_days as (order by days.report_date rows between 6 preceding and current row)
),

windows as (
    select
        grid.driver,
        grid.report_date,
        grid.is_after_first_export,
        coalesce(sum(driver_per_day.created) over last_7_days, 0) as tickets_7d,
        coalesce(sum(driver_per_day.created) over baseline_days, 0) as baseline_tickets,
    from grid
    left join driver_per_day using (driver, report_date)
    window
        last_7_days as (
            partition by grid.driver order by grid.report_date
            rows between 6 preceding and current row
        ),
        baseline_days as (
            partition by grid.driver order by grid.report_date
            rows between 34 preceding and 7 preceding
        )
),

final as (
    select
        windows.report_date,
        windows.driver,
        windows.tickets_7d::bigint as tickets_7d,
        windows.baseline_tickets / 4 as baseline_weekly,
        case when inflow_windows.inflow_7d > 0
            then windows.tickets_7d / inflow_windows.inflow_7d end as share_7d,
        case when windows.baseline_tickets > 0
            then windows.tickets_7d / (windows.baseline_tickets / 4) end as growth,
        windows.tickets_7d >= settings.spike_min_tickets
            and (windows.tickets_7d - windows.baseline_tickets / 4)
                / sqrt(greatest(windows.baseline_tickets / 4, 1)) >= settings.spike_z as is_spike,
        -- the baseline's 28 days (D-34..D-7) all lie in loaded exports; before that the
        -- baseline counts only tickets seen later, and spikes are not alerted
        windows.report_date - 34 >= first_export.first_export_date as is_baseline_complete,
    from windows
    inner join inflow_windows using (report_date)
    cross join settings
    cross join first_export
    where windows.is_after_first_export
        and (windows.tickets_7d > 0 or windows.baseline_tickets > 0)
)

select * from final
