-- one row per candidate ever found, with its state and the figures of the day it was last
-- found (the CLI's `kb list`): new, accepted, dismissed; then the most recently seen and
-- largest first.
with

candidates as (
    select * from ops.kb_candidates
),

days as (
    select * from ops.kb_candidate_days
),

final as (
    select
        candidates.candidate_id,
        candidates.state,
        candidates.title,
        candidates.keywords,
        days.tickets,
        days.trend,
        candidates.first_seen,
        candidates.last_seen,
    from candidates
    left join days
        on days.candidate_id = candidates.candidate_id
        and days.report_date = candidates.last_seen
)

select * from final
order by
    case state when 'new' then 0 when 'accepted' then 1 else 2 end,
    last_seen desc,
    tickets desc nulls last,
    candidate_id
