-- the open tickets at the end of $report_date whose last loaded version (from an export of
-- $report_date or before) predates $gap_day, a day without a complete export: their state
-- may have changed that day (solved, replied) unseen. The alerts on the backlog read them.
-- A ticket's last version predates $gap_day when no export from $gap_day to $report_date
-- holds it: only those days' versions are read, not the whole history's.
with

seen_since as (
    select distinct ticket_id
    from staging.stg_ticket_versions
    where export_date >= $gap_day and export_date <= $report_date
),

stale as (
    select open_tickets.*
    from marts.fct_open_tickets as open_tickets
    anti join seen_since using (ticket_id)
    where open_tickets.report_date = $report_date
)

select
    count(*) as stale_open,
    count(*) filter (where is_sla_breached) as stale_breached,
    max(age_days) filter (where is_unreplied) * 24 as oldest_stale_unreplied_age_hours,
from stale
