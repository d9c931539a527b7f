-- one row per member ticket of a knowledge-base candidate found on the report day
-- ($report_date): the text cluster as a driver dimension (ticket_id -> candidate title)
with

members as (
    select * from ops.kb_candidate_members where report_date = $report_date::date
),

days as (
    select * from ops.kb_candidate_days where report_date = $report_date::date
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
