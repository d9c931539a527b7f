-- one row per report day from the first loaded export: effort of the tickets last solved in
-- D-6..D (medians, and the share over 3 exchanges or over 2 handoffs)
-- incremental: report_date
with

days as (
    select * from intermediate.int_report_days
    where is_after_first_export and report_date >= getvariable('build_from')
),

effort as (
    select * from marts.fct_ticket_effort
),

final as (
    select
        days.report_date,
        count(effort.ticket_id) as effort_tickets,
        quantile_cont(effort.exchanges, 0.5) as exchanges_p50,
        quantile_cont(effort.handoffs, 0.5) as handoffs_p50,
        quantile_cont(effort.pending_hours, 0.5) as pending_hours_p50,
        quantile_cont(effort.hold_hours, 0.5) as hold_hours_p50,
        avg(case when effort.exchanges > 3 then 1.0 else 0.0 end) as share_over_3_exchanges,
        avg(case when effort.handoffs > 2 then 1.0 else 0.0 end) as share_over_2_handoffs,
    from days
    left join effort
        on effort.last_solved_date between days.report_date - 6 and days.report_date
    group by days.report_date
)

select * from final
