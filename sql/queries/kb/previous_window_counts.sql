-- per candidate, how many tickets of the previous window (temporary table kb_previous:
-- ticket_id, last_solved_at) its clusters held, by each ticket's latest label as of the
-- report day; one row with a null candidate_id for the tickets in none. `labelled` below
-- `tickets` means some tickets have no label: the counts would be too low.
-- Parameters: $report_date (date), $settings_key (varchar).
with

models as (
    select model_date
    from ops.kb_models
    where settings_key = $settings_key::varchar and model_date <= $report_date::date
),

labels as (
    select previous.ticket_id, labels.model_date, labels.cluster,
    from kb_previous as previous
    inner join ops.kb_ticket_labels as labels
        on labels.ticket_id = previous.ticket_id
        and labels.solved_at = previous.last_solved_at
    where labels.labelled_on <= $report_date::date
        and labels.model_date in (select models.model_date from models)
    qualify row_number() over (
        partition by previous.ticket_id order by labels.labelled_on desc
    ) = 1
),

final as (
    select
        clusters.candidate_id,
        count(labels.ticket_id) as labelled,
        count(*) as tickets,
    from kb_previous as previous
    left join labels using (ticket_id)
    left join ops.kb_model_clusters as clusters
        on clusters.model_date = labels.model_date and clusters.cluster = labels.cluster
    group by clusters.candidate_id
)

select * from final
