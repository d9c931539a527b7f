-- one row per knowledge-base candidate found on the report day ($report_date), with its state
with

days as (
    select * from ops.kb_candidate_days where report_date = $report_date::date
),

candidates as (
    select * from ops.kb_candidates
),

members as (
    select candidate_id, ticket_ids,
    from ops.kb_candidate_member_lists
    where report_date = $report_date::date
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
