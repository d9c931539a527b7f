-- one row per stretch of time a ticket held one status: [valid_from, valid_to)
-- incremental: ticket_id
with

history as (
    select * from intermediate.int_ticket_status_history
    where in_scope(ticket_id)
),

final as (
    select
        ticket_id,
        status_seq,
        to_status as status,
        to_status in ('new', 'open', 'pending', 'hold') as is_unsolved,
        changed_at as valid_from,
        lead(changed_at) over (partition by ticket_id order by status_seq) as valid_to,
    from history
)

select * from final
