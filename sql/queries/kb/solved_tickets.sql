-- one row per ticket solved in the KB window as of the report day: its texts for clustering
-- A ticket counts when its status at the end of the day is solved or closed and its last
-- solve falls in the window's report-zone days. Its resolution is the final public agent
-- reply by the end of the day, skipping auto-acknowledgements and nudges ($skip_pattern),
-- which say nothing about how the problem was solved, and the opening comment of a ticket
-- an agent created (the problem, not a reply). A ticket whose last solve the system made
-- (an inactivity automation) has no resolution: its last reply was an unanswered question.
-- Parameters: $report_date (date), $window_days (integer), $skip_pattern (one
-- case-insensitive regular expression: config.ack_patterns and
-- tasks.kb.tickets.NUDGE_PATTERNS),
-- $listed_only (boolean): only the tickets in the temporary table kb_listed (ticket_id).
with

bounds as (
    select
        timezone(
            getvariable('report_timezone'), ($report_date::date + 1)::timestamp
        ) as as_of,
        timezone(
            getvariable('report_timezone'),
            ($report_date::date - $window_days::integer + 1)::timestamp
        ) as window_start,
),

history as (
    -- a ticket whose last solve is in the window has its last change there too
    select history.*
    from intermediate.int_ticket_status_history as history
    cross join bounds
    where history.changed_at < bounds.as_of
        and history.changed_at >= bounds.window_start
        and (
            not $listed_only::boolean
            or history.ticket_id in (select listed.ticket_id from kb_listed as listed)
        )
),

status_as_of as (
    select
        ticket_id,
        arg_max(to_status, status_seq) as status,
        max(changed_at) filter (where is_solve) as last_solved_at,
    from history
    group by ticket_id
),

solved as (
    select status_as_of.ticket_id, status_as_of.last_solved_at,
    from status_as_of
    cross join bounds
    where status_as_of.status in ('solved', 'closed')
        and status_as_of.last_solved_at >= bounds.window_start
),

tickets as (
    select
        solved.ticket_id,
        solved.last_solved_at,
        tickets.created_at,
        tickets.subject,
        tickets.description,
    from solved
    inner join staging.stg_tickets as tickets using (ticket_id)
    where not tickets.is_deleted
        -- chase-ups belong to merge candidates and feature requests to the product review,
        -- not to the knowledge base ([merge] follow_up_patterns; [kb] feature_request_*)
        and not regexp_matches(
            lower(coalesce(tickets.subject, '')), getvariable('follow_up_pattern')
        )
        and not list_contains(
            getvariable('kb_excluded_types'), lower(coalesce(tickets.ticket_type, ''))
        )
        and not list_has_any(tickets.tags, getvariable('kb_excluded_tags'))
),

comments as (
    select
        events.ticket_id,
        events.body,
        events.author_role,
        coalesce(events.is_public, false) as is_public,
        events.occurred_at,
        events.export_date,
        events.row_number,
        events.load_id,
        events.occurred_at <= tickets.created_at and row_number() over (
            partition by events.ticket_id
            order by events.occurred_at, events.export_date, events.row_number, events.load_id
        ) = 1 as is_opening_comment,
    from staging.stg_events as events
    inner join tickets using (ticket_id)
    cross join bounds
    where events.kind = 'comment'
        and events.occurred_at < bounds.as_of
),

agent_replies as (
    select ticket_id, body, occurred_at, export_date, row_number, load_id,
    from comments
    where author_role = 'agent'
        and is_public
        and not is_opening_comment
        and nullif(trim(body), '') is not null
        and not regexp_matches(body, $skip_pattern::varchar)
),

system_solves as (
    -- tickets whose last solve the system made
    select events.ticket_id,
    from staging.stg_events as events
    inner join solved using (ticket_id)
    cross join bounds
    where events.kind = 'status_change'
        and events.to_value = 'solved'
        and events.occurred_at < bounds.as_of
    group by events.ticket_id
    -- arg_max_null: a last solve with no author role is not the system's (arg_max would
    -- skip it and read an earlier solve's role)
    having arg_max_null(
        events.author_role,
        (events.occurred_at, events.export_date, events.row_number, events.load_id)
    ) = 'system'
),

final_replies as (
    select
        ticket_id,
        arg_max(body, (occurred_at, export_date, row_number, load_id)) as resolution,
    from agent_replies
    where ticket_id not in (select ticket_id from system_solves)
    group by ticket_id
),

final as (
    select
        tickets.ticket_id,
        tickets.last_solved_at,
        timezone(getvariable('report_timezone'), tickets.last_solved_at)::date
            as last_solved_date,
        coalesce(tickets.subject, '') as subject,
        coalesce(tickets.description, '') as description,
        coalesce(final_replies.resolution, '') as resolution,
    from tickets
    left join final_replies using (ticket_id)
    where nullif(trim(
        coalesce(tickets.subject, '') || coalesce(tickets.description, '')
        || coalesce(final_replies.resolution, '')
    ), '') is not null
)

select * from final
order by ticket_id
