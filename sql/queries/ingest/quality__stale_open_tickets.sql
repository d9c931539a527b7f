-- the open tickets at the end of $report_date whose last loaded version (from an export of
-- $report_date or before) predates $gap_day, a day without a complete export: their state
-- may have changed that day (solved, replied) unseen. The alerts on the backlog read them.
with

last_seen as (
    select ticket_id, max(export_date) as last_export_date
    from staging.stg_ticket_versions
    where export_date <= $report_date
    group by ticket_id
),

stale as (
    select open_tickets.*
    from marts.fct_open_tickets as open_tickets
    inner join last_seen using (ticket_id)
    where open_tickets.report_date = $report_date
        and last_seen.last_export_date < $gap_day
)

select
    count(*) as stale_open,
    count(*) filter (where is_sla_breached) as stale_breached,
    max(age_days) filter (where is_unreplied) * 24 as oldest_stale_unreplied_age_hours,
from stale
