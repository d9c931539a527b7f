-- one row (an ops.kb_ticket_labels row, cluster -1) per ticket to label (temporary table
-- kb_todo: ticket_id, last_solved_at) that today's batches did not label: a ticket without
-- any text is in no cluster, and is not looked at again.
-- Parameters: $report_date (date), $model_date (date).
with

todo as (
    select * from kb_todo
),

labelled_today as (
    select ticket_id, solved_at,
    from ops.kb_ticket_labels
    where labelled_on = $report_date::date
),

final as (
    select
        todo.ticket_id,
        todo.last_solved_at as solved_at,
        $report_date::date as labelled_on,
        $model_date::date as model_date,
        -1 as cluster,
        0 as similarity,
        '' as subject,
        '' as subject_key,
        false as has_resolution,
    from todo
    where not exists (
        select 1
        from labelled_today
        where labelled_today.ticket_id = todo.ticket_id
            and labelled_today.solved_at = todo.last_solved_at
    )
)

select * from final
