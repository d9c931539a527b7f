-- one row per ticket: its first reply and first meaningful reply (docs/metrics.md)
-- From comment events when the ticket has any; else, or when the exported first_reply_at
-- lies before the first exported events, the exported first_reply_at.
-- incremental: ticket_id
with

tickets as (
    select ticket_id, created_at, first_reply_at as exported_first_reply_at
    from staging.stg_tickets
    where not is_deleted and in_scope(ticket_id)
),

comments as (
    select
        events.ticket_id,
        events.occurred_at,
        events.author_role,
        coalesce(events.is_public, false) as is_public,
        events.body,
        tickets.created_at,
        row_number() over (
            partition by events.ticket_id
            order by events.occurred_at, events.export_date, events.row_number, events.load_id
        ) as comment_seq,
    from scope_events as events  -- staging.stg_events of the tickets in scope
    inner join tickets using (ticket_id)
    where events.kind = 'comment'
        and events.occurred_at >= tickets.created_at
),

agent_replies as (
    select
        ticket_id,
        occurred_at,
        getvariable('has_ack_patterns')
            and regexp_matches(coalesce(comments.body, ''), getvariable('ack_pattern'), 'i')
            as is_auto_acknowledgement,
    from comments
    where author_role = 'agent'
        and is_public
        -- an agent who opened the ticket with a public comment has not replied yet
        and not (comment_seq = 1 and occurred_at = created_at)
),

from_events as (
    select
        ticket_id,
        min(occurred_at) as first_reply_at,
        min(occurred_at) filter (where not is_auto_acknowledgement)
            as first_meaningful_reply_at,
    from agent_replies
    group by ticket_id
),

tickets_with_comments as (
    select distinct ticket_id from scope_events
    where kind = 'comment'
),

-- events say nothing of the time before the earliest exported event: a reply the
-- helpdesk reports before then is taken from the ticket row
events_coverage as (
    select min(occurred_at) as starts_at from staging.stg_events
),

exported as (
    select
        tickets.ticket_id,
        case
            when tickets.exported_first_reply_at >= tickets.created_at
                then tickets.exported_first_reply_at
        end as first_reply_at,
        coalesce(tickets.exported_first_reply_at < events_coverage.starts_at, false)
            as is_before_events,
    from tickets
    cross join events_coverage
),

final as (
    select
        tickets.ticket_id,
        tickets_with_comments.ticket_id is not null as has_comment_events,
        case
            when tickets_with_comments.ticket_id is null or exported.is_before_events
                then exported.first_reply_at
            else from_events.first_reply_at
        end as first_reply_at,
        case
            when tickets_with_comments.ticket_id is null or exported.is_before_events
                then exported.first_reply_at
            else from_events.first_meaningful_reply_at
        end as first_meaningful_reply_at,
    from tickets
    inner join exported using (ticket_id)
    left join tickets_with_comments using (ticket_id)
    left join from_events using (ticket_id)
)

select * from final
