-- Insert or update one row per candidate found on the report day ($report_date) in
-- ops.kb_candidates: first and last seen, latest title, keywords and signature. The state
-- of a known candidate is left as the CLI set it.
insert into ops.kb_candidates (
    candidate_id,
    state,
    first_seen,
    last_seen,
    title,
    keywords,
    signature_terms,
    signature_weights
)
select
    candidate_id,
    'new' as state,
    report_date as first_seen,
    report_date as last_seen,
    title,
    keywords,
    signature_terms,
    signature_weights,
from ops.kb_candidate_days
where report_date = $report_date::date
on conflict (candidate_id) do update set
    first_seen = least(ops.kb_candidates.first_seen, excluded.first_seen),
    last_seen = greatest(ops.kb_candidates.last_seen, excluded.last_seen),
    title = case
        when excluded.last_seen >= ops.kb_candidates.last_seen then excluded.title
        else ops.kb_candidates.title
    end,
    keywords = case
        when excluded.last_seen >= ops.kb_candidates.last_seen then excluded.keywords
        else ops.kb_candidates.keywords
    end,
    signature_terms = case
        when excluded.last_seen >= ops.kb_candidates.last_seen then excluded.signature_terms
        else ops.kb_candidates.signature_terms
    end,
    signature_weights = case
        when excluded.last_seen >= ops.kb_candidates.last_seen then excluded.signature_weights
        else ops.kb_candidates.signature_weights
    end
