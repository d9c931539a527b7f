-- one row for the candidate $candidate_id (none when unknown): its Markdown draft as last
-- found (the CLI's `kb show`).
-- Parameters: $candidate_id (varchar).
with

candidates as (
    select * from ops.kb_candidates where candidate_id = $candidate_id::varchar
),

days as (
    select * from ops.kb_candidate_days
),

final as (
    select days.draft_markdown,
    from candidates
    inner join days
        on days.candidate_id = candidates.candidate_id
        and days.report_date = candidates.last_seen
)

select * from final
