-- one row per candidate found by a run before the report day ($report_date), as last found:
-- what today's clusters are matched against (state, term signature, member tickets)
with

latest as (
    select candidate_id, max(report_date) as report_date,
    from ops.kb_candidate_days
    where report_date < $report_date::date
    group by candidate_id
),

members as (
    select members.candidate_id, list_sort(members.ticket_ids) as ticket_ids,
    from ops.kb_candidate_member_lists as members
    inner join latest using (candidate_id, report_date)
),

final as (
    select
        candidates.candidate_id,
        candidates.state,
        candidates.first_seen,
        days.signature_terms,
        days.signature_weights,
        coalesce(members.ticket_ids, []::varchar[]) as ticket_ids,
    from latest
    inner join ops.kb_candidate_days as days using (candidate_id, report_date)
    inner join ops.kb_candidates as candidates using (candidate_id)
    left join members using (candidate_id)
)

select * from final
order by candidate_id
