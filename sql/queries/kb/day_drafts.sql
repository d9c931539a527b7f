-- one row per candidate found on the report day: its Markdown draft and its state.
-- Parameters: $report_date (date).
with

days as (
    select * from ops.kb_candidate_days where report_date = $report_date::date
),

candidates as (
    select * from ops.kb_candidates
),

final as (
    select days.candidate_id, days.draft_markdown, candidates.state,
    from days
    inner join candidates using (candidate_id)
)

select * from final
order by candidate_id
