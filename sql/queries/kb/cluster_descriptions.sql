-- one row per candidate of a clustering of these settings as of the report day: the keywords
-- and term signature of its cluster in the latest such clustering.
-- Parameters: $report_date (date), $settings_key (varchar).
with

models as (
    select model_date
    from ops.kb_models
    where settings_key = $settings_key::varchar and model_date <= $report_date::date
),

clusters as (
    select *
    from ops.kb_model_clusters
    where model_date in (select models.model_date from models)
),

final as (
    select candidate_id, keywords, signature_terms, signature_weights,
    from clusters
    qualify row_number() over (partition by candidate_id order by model_date desc, cluster) = 1
)

select * from final
