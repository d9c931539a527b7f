-- one row per candidate found on the report day and not dismissed: the digest's
-- kb_candidates, largest first, members the most representative first.
-- Parameters: $report_date (date).
with

days as (
    select * from ops.kb_candidate_days where report_date = $report_date::date
),

candidates as (
    select * from ops.kb_candidates where state <> 'dismissed'
),

members as (
    select * from ops.kb_candidate_member_lists
),

final as (
    select
        days.candidate_id,
        days.title,
        days.tickets,
        coalesce(members.ticket_ids, []::varchar[]) as ticket_ids,
        candidates.state,
    from days
    inner join candidates using (candidate_id)
    left join members using (report_date, candidate_id)
)

select * from final
order by tickets desc, candidate_id
