-- one row per end-user event (a comment or a status change by the end user)
-- What counts as the customer speaking: stale nudges and sentiment read it.
-- incremental: ticket_id
with

-- staging.stg_events of the tickets in scope (tasks/models/plan.py)
events as (
    select * from scope_events
),

final as (
    select
        ticket_id,
        occurred_at,
        kind,
        case when kind = 'comment' then body end as body,
    from events
    where author_role = 'end_user'
        and kind in ('comment', 'status_change')
)

select * from final
