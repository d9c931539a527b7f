-- one row per member ticket of a knowledge-base candidate found on the latest KB day
-- The text cluster as a driver dimension (ticket_id -> candidate title). The latest KB day:
-- the day the KB refresh of this session stored (variable kb_report_date, set by
-- tasks/kb/store.py, which rebuilds this table right after it stores a day, and after a
-- state change), else the latest day in ops.kb_candidate_days.
with

kb_day as (
    select
        coalesce(
            getvariable('kb_report_date')::date,
            (select max(report_date) from ops.kb_candidate_days)
        ) as report_date,
),

members as (
    select members.*
    from ops.kb_candidate_members as members
    inner join kb_day using (report_date)
),

days as (
    select days.*
    from ops.kb_candidate_days as days
    inner join kb_day using (report_date)
),

candidates as (
    select * from ops.kb_candidates
),

final as (
    select
        members.report_date,
        members.ticket_id,
        members.candidate_id,
        days.title as candidate_title,
        candidates.state as candidate_status,
        members.member_rank,
        members.similarity,
    from members
    inner join days using (candidate_id)
    inner join candidates using (candidate_id)
)

select * from final
order by candidate_id, member_rank
