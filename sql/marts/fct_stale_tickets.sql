-- one row per stale ticket per report day: pending for >= stale_days with no end-user event
-- since it last entered pending (agents' private notes do not count)
-- incremental: report_date
with

open_tickets as (
    select * from marts.fct_open_tickets where status = 'pending' and report_date >= getvariable('build_from')
),

days as (
    select * from intermediate.int_report_days
),

activity as (
    select * from intermediate.int_end_user_activity
    where ticket_id in (select ticket_id from open_tickets)
),

settings as (
    select * from config.work_settings
),

pending as (
    select
        open_tickets.report_date,
        open_tickets.ticket_id,
        open_tickets.requester_id,
        open_tickets.status_since as pending_since,
        days.as_of_at,
        (epoch(days.as_of_at) - epoch(open_tickets.status_since)) / 86400 as pending_days,
    from open_tickets
    inner join days using (report_date)
),

final as (
    select
        pending.report_date,
        pending.ticket_id,
        pending.requester_id,
        pending.pending_since,
        pending.pending_days,
    from pending
    cross join settings
    where pending.pending_days >= settings.stale_days
        and not exists (
            select 1
            from activity
            where activity.ticket_id = pending.ticket_id
                and activity.occurred_at > pending.pending_since
                and activity.occurred_at < pending.as_of_at
        )
)

select * from final
