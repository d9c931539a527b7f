-- one row per ticket (deleted tickets left out): its clocks, solves, reopens and recontacts
-- Business clocks: business minutes of the ticket's schedule (its latest group's, else the
-- default) between creation and each instant, as the overlap with the open intervals.
-- (any ticket of the requester, and the same issue)
-- incremental: ticket_id
with

tickets as (
    select * from staging.stg_tickets where not is_deleted and in_scope(ticket_id)
),

history as (
    select * from intermediate.int_ticket_status_history where in_scope(ticket_id)
),

replies as (
    select * from intermediate.int_ticket_replies where in_scope(ticket_id)
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

schedule_groups as (
    select * from config.business_schedule_groups
),

schedules as (
    select distinct schedule_name from config.business_schedule_versions
),

open_intervals as (
    select * from intermediate.int_business_intervals
),

-- the schedule of each ticket: its latest group's, else the default; none without
-- [business_hours]
ticket_schedules as (
    select tickets.ticket_id, schedules.schedule_name,
    from tickets
    left join schedule_groups using (group_name)
    inner join schedules
        on schedules.schedule_name = coalesce(schedule_groups.schedule_name, 'default')
),

clock_instants as (
    unpivot (
        select
            ticket_schedules.ticket_id,
            ticket_schedules.schedule_name,
            tickets.created_at,
            replies.first_reply_at,
            replies.first_meaningful_reply_at,
            solves.first_solved_at,
            solves.last_solved_at,
        from ticket_schedules
        inner join tickets using (ticket_id)
        inner join solves using (ticket_id)
        left join replies using (ticket_id)
    )
    on created_at, first_reply_at, first_meaningful_reply_at, first_solved_at, last_solved_at
    into name instant value instant_at
),

-- business seconds from the schedule's first interval up to each instant (as-of join:
-- the last interval opened at or before it, counted up to the instant or its close)
business_clock as (
    select
        clock_instants.ticket_id,
        clock_instants.instant,
        coalesce(
            open_intervals.open_seconds_before
                + least(epoch(clock_instants.instant_at) - epoch(open_intervals.opens_at),
                    open_intervals.open_seconds),
            0
        ) as business_seconds,
    from clock_instants
    asof left join open_intervals
        on open_intervals.schedule_name = clock_instants.schedule_name
        and clock_instants.instant_at >= open_intervals.opens_at
),

business_minutes as (
    select
        ticket_id,
        (max(business_seconds) filter (where instant = 'first_reply_at')
            - max(business_seconds) filter (where instant = 'created_at')) / 60
            as first_reply_business_minutes,
        (max(business_seconds) filter (where instant = 'first_meaningful_reply_at')
            - max(business_seconds) filter (where instant = 'created_at')) / 60
            as ttfmr_business_minutes,
        (max(business_seconds) filter (where instant = 'first_solved_at')
            - max(business_seconds) filter (where instant = 'created_at')) / 60
            as first_resolution_business_minutes,
        (max(business_seconds) filter (where instant = 'last_solved_at')
            - max(business_seconds) filter (where instant = 'created_at')) / 60
            as full_resolution_business_minutes,
    from business_clock
    group by ticket_id
),

recontacted_within_7d as (
    select distinct ticket_id
    from recontacts_within_7d
    where created_at > first_solved_at
        and created_at <= first_solved_at + interval 168 hours
),

-- the same problem came back: a later ticket of the requester that shares a driver value
-- with it (staging.stg_tickets.driver_values: the one driver definition, each ticket's latest
-- version, after ignore_tags), or a follow-up the helpdesk links to it in either direction
-- (its own followup_ids, or the follow-up's via.source.from.ticket_id when via.source.rel
-- is follow_up, both kept in extra by the Zendesk adapter), created within 168 hours
all_tickets as (
    select
        ticket_id,
        requester_id,
        created_at,
        driver_values,
        extra,
        -- the 168-hour period since the epoch it was created in (see same_issue_candidates)
        floor(epoch_us(created_at) / 604800000000)::bigint as week_bucket,
    from staging.stg_tickets
    where not is_deleted
),

linked_follow_ups as (
    select ticket_id, followup_id from followups
    union
    select
        json_extract_string(extra, '$.followup_source_id') as ticket_id,
        ticket_id as followup_id,
    from all_tickets
    where json_extract_string(extra, '$.via_followup_source_id') = 'follow_up'
        and json_extract_string(extra, '$.followup_source_id')
            in (select ticket_id from tickets)
),

same_issue_candidates as (
    select
        solved.ticket_id,
        later.ticket_id as later_ticket_id,
        later.created_at,
        later.driver_values,
        solved.driver_values as solved_driver_values,
        solves.first_solved_at,
        false as is_linked,
    from tickets as solved
    inner join solves using (ticket_id)
    -- (first solve, + 168 hours] lies in the solve's 168-hour period and the next: the
    -- join pairs a ticket with its requester's tickets of two periods, not of the whole
    -- history (a requester who writes every week has hundreds in a year)
    cross join (values (0), (1)) as periods(period_offset)
    inner join all_tickets as later
        on later.requester_id = solved.requester_id
        and later.week_bucket
            = floor(epoch_us(solves.first_solved_at) / 604800000000)::bigint
                + periods.period_offset
        and later.ticket_id <> solved.ticket_id
        and later.created_at > solves.first_solved_at
        and later.created_at <= solves.first_solved_at + interval 168 hours
    union all
    select
        linked_follow_ups.ticket_id,
        later.ticket_id as later_ticket_id,
        later.created_at,
        later.driver_values,
        []::varchar[] as solved_driver_values,
        solves.first_solved_at,
        true as is_linked,
    from linked_follow_ups
    inner join solves using (ticket_id)
    inner join all_tickets as later
        on later.ticket_id = linked_follow_ups.followup_id
        and later.ticket_id <> linked_follow_ups.ticket_id
),

same_issue_recontacted_within_7d as (
    select distinct ticket_id
    from same_issue_candidates
    where created_at > first_solved_at
        and created_at <= first_solved_at + interval 168 hours
        and (is_linked or len(list_intersect(driver_values, solved_driver_values)) > 0)
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
        ticket_schedules.schedule_name as business_schedule,
        business_minutes.first_reply_business_minutes,
        business_minutes.ttfmr_business_minutes,
        business_minutes.first_resolution_business_minutes,
        case
            when solves.current_status in ('solved', 'closed')
                then business_minutes.full_resolution_business_minutes
        end as full_resolution_business_minutes,
        solves.solve_count,
        solves.reopen_count,
        reopens_within_7d.ticket_id is not null as is_reopened_within_7d,
        recontacted_within_7d.ticket_id is not null as is_recontacted_within_7d,
        same_issue_recontacted_within_7d.ticket_id is not null
            as is_same_issue_recontacted_within_7d,
    from tickets
    inner join solves using (ticket_id)
    left join replies using (ticket_id)
    left join reopens_within_7d using (ticket_id)
    left join recontacted_within_7d using (ticket_id)
    left join ticket_schedules using (ticket_id)
    left join business_minutes using (ticket_id)
    left join same_issue_recontacted_within_7d using (ticket_id)
)

select * from final
