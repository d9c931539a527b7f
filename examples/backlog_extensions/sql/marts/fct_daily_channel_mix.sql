-- one row per report day: how the day's new tickets split by channel
-- An example extension model: it reads shipped models by name and is built after them.
with

days as (
    select * from intermediate.int_report_days
),

tickets as (
    select * from marts.fct_ticket_metrics
),

created as (
    select
        created_date as report_date,
        count(*) as inflow,
        count(*) filter (where channel = 'email') as inflow_email,
    from tickets
    group by created_date
),

final as (
    select
        days.report_date,
        coalesce(created.inflow_email, 0) as inflow_email,
        case when created.inflow > 0 then created.inflow_email / created.inflow end
            as email_share,
    from days
    left join created using (report_date)
)

select * from final
