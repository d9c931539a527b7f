-- one row per ticket (deleted tickets left out): its clocks, solves, reopens and recontacts
-- incremental: ticket_id
with

tickets as (
    select * from staging.stg_tickets where not is_deleted and ticket_id in (select ticket_id from scope_tickets)
),

history as (
    select * from intermediate.int_ticket_status_history where ticket_id in (select ticket_id from scope_tickets)
),

replies as (
    select * from intermediate.int_ticket_replies where ticket_id in (select ticket_id from scope_tickets)
),

solves as (
    select
        ticket_id,
        min(changed_at) filter (where is_solve) as first_solved_at,
        min(status_seq) filter (where is_solve) as first_solve_seq,
        max(changed_at) filter (where is_solve) as last_solved_at,
        count(*) filter (where is_solve) as solve_count,
        count(*) filter (where is_reopen) as reopen_count,
        arg_max(to_status, status_seq) as current_status,
    from history
    group by ticket_id
),

reopens_within_7d as (
    select distinct history.ticket_id
    from history
    inner join solves using (ticket_id)
    where history.is_reopen
        and history.status_seq > solves.first_solve_seq
        and history.changed_at <= solves.first_solved_at + interval 168 hours
),

-- follow-up tickets the helpdesk links to a ticket (Zendesk `followup_ids`, kept in extra),
-- whoever opened them
followups as (
    select
        ticket_id,
        unnest(from_json(
            coalesce(json_extract_string(extra, '$.followup_ids'), '[]'), '["VARCHAR"]'
        )) as followup_id,
    from tickets
    where json_extract_string(extra, '$.followup_ids') like '[%'
),

-- the tickets that can be a recontact or follow-up of these: every ticket of their
-- requesters, in scope or not
later_tickets as (
    select ticket_id, requester_id, created_at
    from staging.stg_tickets
    where not is_deleted
        and (requester_id in (select requester_id from tickets)
            or ticket_id in (select followup_id from followups))
),

recontacts_within_7d as (
    -- the requester's next ticket after the first solve (an as-of join: the earliest
    -- ticket created after it), or a linked follow-up, created within 168 hours
    select solved.ticket_id, next_ticket.created_at, solves.first_solved_at
    from tickets as solved
    inner join solves using (ticket_id)
    asof inner join later_tickets as next_ticket
        on next_ticket.requester_id = solved.requester_id
        and next_ticket.created_at > solves.first_solved_at
    union all
    select followups.ticket_id, later.created_at, solves.first_solved_at
    from followups
    inner join solves using (ticket_id)
    inner join later_tickets as later
        on later.ticket_id = followups.followup_id
        and later.ticket_id <> followups.ticket_id
),

recontacted_within_7d as (
    select distinct ticket_id
    from recontacts_within_7d
    where created_at > first_solved_at
        and created_at <= first_solved_at + interval 168 hours
),

final as (
    select
        tickets.ticket_id,
        tickets.requester_id,
        tickets.created_at,
        timezone(getvariable('report_timezone'), tickets.created_at)::date as created_date,
        solves.current_status,
        solves.current_status in ('solved', 'closed') as is_solved,
        tickets.priority,
        tickets.ticket_type,
        tickets.channel,
        tickets.group_name,
        tickets.assignee_id,
        tickets.customer_tier,
        tickets.tags,
        tickets.subject,
        replies.first_reply_at,
        replies.first_meaningful_reply_at,
        (epoch(replies.first_reply_at) - epoch(tickets.created_at)) / 60
            as first_reply_minutes,
        (epoch(replies.first_meaningful_reply_at) - epoch(tickets.created_at)) / 60
            as ttfmr_minutes,
        solves.first_solved_at,
        timezone(getvariable('report_timezone'), solves.first_solved_at)::date
            as first_solved_date,
        solves.last_solved_at,
        (epoch(solves.first_solved_at) - epoch(tickets.created_at)) / 3600
            as first_resolution_hours,
        case
            when solves.current_status in ('solved', 'closed')
                then (epoch(solves.last_solved_at) - epoch(tickets.created_at)) / 3600
        end as full_resolution_hours,
        solves.solve_count,
        solves.reopen_count,
        reopens_within_7d.ticket_id is not null as is_reopened_within_7d,
        recontacted_within_7d.ticket_id is not null as is_recontacted_within_7d,
    from tickets
    inner join solves using (ticket_id)
    left join replies using (ticket_id)
    left join reopens_within_7d using (ticket_id)
    left join recontacted_within_7d using (ticket_id)
)

select * from final
