-- returns the days where inflow differs from the tickets created that day
with

created as (
    select created_date as report_date, count(*) as tickets
    from marts.fct_ticket_metrics
    group by created_date
)

select flow.report_date, flow.inflow, created.tickets
from marts.fct_daily_flow as flow
left join created using (report_date)
where flow.inflow <> coalesce(created.tickets, 0)
