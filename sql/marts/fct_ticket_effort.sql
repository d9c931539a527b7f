-- one row per solved ticket (solved or closed now): effort proxies (docs/metrics.md)
-- exchanges: public customer -> agent turns (the customer's opening message counts as a
-- customer turn; auto-acknowledgements are not turns); handoffs: assignee changes plus
-- group changes; waiting: hours in pending (on the customer) and hold (on someone
-- internal) before the last solve.
-- incremental: ticket_id
with

tickets as (
    select * from marts.fct_ticket_metrics where is_solved and in_scope(ticket_id)
),

public_turns as (
    select
        events.ticket_id,
        events.occurred_at,
        events.export_date,
        events.row_number,
        case when events.author_role = 'end_user' then 'customer' else 'agent' end as speaker,
    from scope_events as events  -- staging.stg_events of the tickets in scope
    inner join tickets using (ticket_id)
    where events.kind = 'comment'
        and coalesce(events.is_public, false)
        and events.author_role in ('end_user', 'agent')
        and events.occurred_at <= tickets.last_solved_at
        and not (
            events.author_role = 'agent'
            and getvariable('has_ack_patterns')
            and regexp_matches(coalesce(events.body, ''), getvariable('ack_pattern'), 'i')
        )
),

opening as (
    -- the customer's opening message, unless an agent opened the ticket
    select ticket_id, created_at as occurred_at, 0 as export_order, 0 as row_number,
        'customer' as speaker,
    from tickets
    where not exists (
        select 1 from public_turns
        where public_turns.ticket_id = tickets.ticket_id
            and public_turns.speaker = 'agent'
            and public_turns.occurred_at = tickets.created_at
    )
),

turns as (
    select ticket_id, occurred_at, 0 as sort_key, 0 as export_order, 0 as row_number, speaker
    from opening
    union all
    select ticket_id, occurred_at, 1, epoch_ms(export_date::timestamp), row_number, speaker
    from public_turns
),

exchanges as (
    select ticket_id, count(*) filter (where speaker = 'agent' and previous = 'customer')
        as exchanges,
    from (
        select
            *,
            lag(speaker) over (
                partition by ticket_id order by occurred_at, sort_key, export_order, row_number
            ) as previous,
        from turns
    )
    group by ticket_id
),

assignees as (
    select ticket_id, assignee_id as assignee from scope_ticket_versions
    where assignee_id is not null
    union
    select ticket_id, to_value from scope_events
    where kind = 'assignment' and to_value is not null
),

groups as (
    select ticket_id, group_name from scope_ticket_versions
    where group_name is not null
),

handoffs as (
    select
        tickets.ticket_id,
        greatest(count(distinct assignees.assignee) - 1, 0) as assignee_changes,
        greatest(count(distinct groups.group_name) - 1, 0) as group_changes,
    from tickets
    left join assignees using (ticket_id)
    left join groups using (ticket_id)
    group by tickets.ticket_id
),

waiting as (
    select
        spans.ticket_id,
        sum(
            epoch(least(coalesce(spans.valid_to, tickets.last_solved_at), tickets.last_solved_at))
            - epoch(spans.valid_from)
        ) filter (where spans.status = 'pending') / 3600 as pending_hours,
        sum(
            epoch(least(coalesce(spans.valid_to, tickets.last_solved_at), tickets.last_solved_at))
            - epoch(spans.valid_from)
        ) filter (where spans.status = 'hold') / 3600 as hold_hours,
    from intermediate.int_ticket_status_spans as spans
    inner join tickets using (ticket_id)
    where in_scope(spans.ticket_id)
        and spans.valid_from < tickets.last_solved_at
    group by spans.ticket_id
),

final as (
    select
        tickets.ticket_id,
        tickets.last_solved_at,
        timezone(getvariable('report_timezone'), tickets.last_solved_at)::date
            as last_solved_date,
        tickets.tags,
        coalesce(exchanges.exchanges, 0) as exchanges,
        handoffs.assignee_changes + handoffs.group_changes as handoffs,
        handoffs.group_changes,
        coalesce(waiting.pending_hours, 0) as pending_hours,
        coalesce(waiting.hold_hours, 0) as hold_hours,
    from tickets
    left join exchanges using (ticket_id)
    left join handoffs using (ticket_id)
    left join waiting using (ticket_id)
)

select * from final
