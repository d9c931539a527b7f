-- one row per knowledge-base candidate found on the latest KB day, with its state
-- The latest KB day: the day the KB refresh of this session stored (variable
-- kb_report_date, set by tasks/kb/store.py, which rebuilds this table right after it stores
-- a day, and after a state change), else the latest day in ops.kb_candidate_days.
with

kb_day as (
    select
        coalesce(
            getvariable('kb_report_date')::date,
            (select max(report_date) from ops.kb_candidate_days)
        ) as report_date,
),

days as (
    select days.*
    from ops.kb_candidate_days as days
    inner join kb_day using (report_date)
),

candidates as (
    select * from ops.kb_candidates
),

members as (
    select members.candidate_id, members.ticket_ids,
    from ops.kb_candidate_member_lists as members
    inner join kb_day using (report_date)
),

final as (
    select
        days.report_date,
        days.candidate_id,
        candidates.state as status,
        days.title,
        days.keywords,
        days.tickets,
        days.tickets_previous,
        days.trend,
        days.representative_ticket_id,
        members.ticket_ids,
        days.cohesion,
        candidates.first_seen,
        candidates.last_seen,
    from days
    inner join candidates using (candidate_id)
    inner join members using (candidate_id)
)

select * from final
order by tickets desc, candidate_id
