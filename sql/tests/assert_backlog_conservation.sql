-- returns the days that break backlog(D) = backlog(D-1) + inflow(D) - outflow(D) + reopened(D)
with

flow as (
    select * from marts.fct_daily_flow
),

final as (
    select
        report_date,
        backlog,
        lag(backlog) over (order by report_date) as previous_backlog,
        inflow,
        outflow,
        reopened,
    from flow
)

select *
from final
where previous_backlog is not null
    and backlog <> previous_backlog + inflow - outflow + reopened
