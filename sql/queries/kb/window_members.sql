-- one row per member ticket of a candidate on the report day when the window is clustered
-- on a sample: each ticket of the window (temporary table kb_window: ticket_id,
-- last_solved_at) in the cluster of its latest label as of the report day, that cluster's
-- candidate; candidates of at least $min_size tickets, members ranked by similarity.
-- Parameters: $report_date (date), $settings_key (varchar), $min_size (integer).
with

models as (
    select model_date
    from ops.kb_models
    where settings_key = $settings_key::varchar and model_date <= $report_date::date
),

labels as (
    select
        window_tickets.ticket_id,
        labels.model_date,
        labels.cluster,
        labels.similarity,
        labels.subject,
        labels.subject_key,
        labels.has_resolution,
    from kb_window as window_tickets
    inner join ops.kb_ticket_labels as labels
        on labels.ticket_id = window_tickets.ticket_id
        and labels.solved_at = window_tickets.last_solved_at
    where labels.labelled_on <= $report_date::date
        and labels.model_date in (select models.model_date from models)
    qualify row_number() over (
        partition by window_tickets.ticket_id order by labels.labelled_on desc
    ) = 1
),

assigned as (
    select
        clusters.candidate_id,
        labels.*,
        count(*) over (partition by clusters.candidate_id) as tickets,
    from labels
    inner join ops.kb_model_clusters as clusters using (model_date, cluster)
),

final as (
    select
        candidate_id,
        ticket_id,
        row_number() over (
            partition by candidate_id order by similarity desc, ticket_id
        ) as member_rank,
        similarity,
        subject,
        subject_key,
        has_resolution,
        tickets,
    from assigned
    where tickets >= $min_size::integer
)

select * from final
