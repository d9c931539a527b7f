-- one row per ticket of the window (temporary table kb_window: ticket_id, last_solved_at)
-- without a label, as solved then, from a clustering of these settings as of the report day:
-- the tickets the sampled mode assigns today.
-- Parameters: $report_date (date), $settings_key (varchar).
with

window_tickets as (
    select * from kb_window
),

models as (
    select model_date
    from ops.kb_models
    where settings_key = $settings_key::varchar
),

labels as (
    select *
    from ops.kb_ticket_labels
    where labelled_on <= $report_date::date
        and model_date in (select models.model_date from models)
),

final as (
    select window_tickets.ticket_id, window_tickets.last_solved_at,
    from window_tickets
    where not exists (
        select 1
        from labels
        where labels.ticket_id = window_tickets.ticket_id
            and labels.solved_at = window_tickets.last_solved_at
    )
)

select * from final
