-- one row per ticket solved in the KB window as of the report day, without its texts: the
-- same tickets as queries/kb/solved_tickets.sql (bar those with no text at all), cheap to list.
-- Parameters: $report_date (date), $window_days (integer).
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
    select history.ticket_id, history.status_seq, history.to_status, history.changed_at,
        history.is_solve,
    from intermediate.int_ticket_status_history as history
    cross join bounds
    where history.changed_at < bounds.as_of
        and history.changed_at >= bounds.window_start
),

status_as_of as (
    select
        ticket_id,
        arg_max(to_status, status_seq) as status,
        max(changed_at) filter (where is_solve) as last_solved_at,
    from history
    group by ticket_id
),

final as (
    select status_as_of.ticket_id, status_as_of.last_solved_at,
    from status_as_of
    cross join bounds
    inner join staging.stg_tickets as tickets using (ticket_id)
    where status_as_of.status in ('solved', 'closed')
        and status_as_of.last_solved_at >= bounds.window_start
        and not tickets.is_deleted
        -- chase-ups belong to merge candidates and feature requests to the product review,
        -- not to the knowledge base ([merge] follow_up_patterns; [kb] feature_request_*)
        and not regexp_matches(
            lower(coalesce(tickets.subject, '')), getvariable('follow_up_pattern')
        )
        and not list_contains(
            getvariable('kb_excluded_types'), lower(coalesce(tickets.ticket_type, ''))
        )
        and not list_has_any(tickets.tags, getvariable('kb_excluded_tags'))
)

select * from final
