-- returns the days where the per-ticket backlog (fct_open_tickets) disagrees with the
-- running sums of fct_daily_flow, in total or by status, or with the aging buckets
with

per_ticket as (
    select
        report_date,
        count(*) as backlog,
        count(*) filter (where status = 'new') as backlog_new,
        count(*) filter (where status = 'open') as backlog_open,
        count(*) filter (where status = 'pending') as backlog_pending,
        count(*) filter (where status = 'hold') as backlog_hold,
    from marts.fct_open_tickets
    group by report_date
),

health as (
    select
        report_date,
        aged_0_1d + aged_1_3d + aged_3_7d + aged_7_14d + aged_14_30d + aged_30d_plus as aged,
    from marts.fct_daily_backlog_health
)

select flow.report_date, flow.backlog, per_ticket.backlog as per_ticket_backlog, health.aged
from marts.fct_daily_flow as flow
left join per_ticket using (report_date)
left join health using (report_date)
where flow.backlog <> coalesce(per_ticket.backlog, 0)
    or flow.backlog_new <> coalesce(per_ticket.backlog_new, 0)
    or flow.backlog_open <> coalesce(per_ticket.backlog_open, 0)
    or flow.backlog_pending <> coalesce(per_ticket.backlog_pending, 0)
    or flow.backlog_hold <> coalesce(per_ticket.backlog_hold, 0)
    or flow.backlog <> health.aged
