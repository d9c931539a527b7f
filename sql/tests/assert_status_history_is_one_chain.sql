-- returns history rows that break the chain: a from_status that is not the previous
-- to_status, a non-change, a first row that is not a creation, or a change before creation
with

history as (
    select
        *,
        lag(to_status) over by_ticket as previous_to_status,
        first(changed_at) over by_ticket as created_at,
    from intermediate.int_ticket_status_history
    window by_ticket as (partition by ticket_id order by status_seq)
)

select *
from history
where (status_seq = 1 and from_status is not null)
    or (status_seq > 1 and from_status is distinct from previous_to_status)
    or from_status = to_status
    or changed_at < created_at
