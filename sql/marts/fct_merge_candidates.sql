-- one row per pair of backlog tickets of one requester, per report day, that look like one
-- conversation: opened within the merge window of each other on the same driver, or with
-- near-identical subjects, or the later one a follow-up ("any update?")
-- incremental: report_date
with

open_tickets as (
    select report_date, ticket_id from marts.fct_open_tickets where report_date >= getvariable('build_from')
),

settings as (
    select * from config.merge_settings
),

-- each backlog ticket's drivers (the one driver definition), sorted
ticket_drivers as (
    select ticket_id, list(driver order by driver) as drivers
    from intermediate.int_ticket_drivers
    where ticket_id in (select ticket_id from open_tickets)
    group by ticket_id
),

-- every ticket that is in the backlog on some report day, once
backlog_tickets as (
    select
        tickets.ticket_id,
        tickets.requester_id,
        tickets.created_at,
        coalesce(ticket_drivers.drivers, []) as drivers,
        coalesce(tickets.subject, '') as subject,
        trim(regexp_replace(
            regexp_replace(lower(coalesce(tickets.subject, '')), '^((re|fwd?|aw|sv)\s*:\s*)+', ''),
            '[^a-z0-9]+', ' ', 'g'
        )) as normalized_subject,
        -- one combined expression (variable follow_up_pattern), compiled once
        len(settings.follow_up_patterns) > 0
            and regexp_matches(lower(coalesce(tickets.subject, '')), getvariable('follow_up_pattern'))
            as is_follow_up,
        -- tickets within the window of each other fall in the same or the next bucket
        floor(epoch(tickets.created_at) / (settings.window_hours * 3600))::bigint as bucket,
    from marts.fct_ticket_metrics as tickets
    cross join settings
    left join ticket_drivers using (ticket_id)
    where tickets.ticket_id in (select ticket_id from open_tickets)
),

-- each pair of one requester's tickets opened within the window, once (not once per day)
ticket_pairs as (
    select
        earlier.requester_id,
        earlier.ticket_id as first_ticket_id,
        later.ticket_id as second_ticket_id,
        (epoch(later.created_at) - epoch(earlier.created_at)) / 3600 as hours_apart,
        list_sort(list_intersect(earlier.drivers, later.drivers)) as shared_drivers,
        earlier.normalized_subject <> ''
            and jaro_winkler_similarity(earlier.normalized_subject, later.normalized_subject)
                >= settings.subject_similarity as has_similar_subject,
        later.is_follow_up,
    from backlog_tickets as earlier
    cross join settings
    inner join backlog_tickets as later
        on later.requester_id = earlier.requester_id
        and later.bucket in (earlier.bucket, earlier.bucket + 1)
        and (later.created_at > earlier.created_at
            or (later.created_at = earlier.created_at and later.ticket_id > earlier.ticket_id))
    where later.created_at <= earlier.created_at + to_microseconds(
        (settings.window_hours * 3600 * 1000000)::bigint
    )
),

-- a pair is offered on every report day both tickets are in the backlog
pairs as (
    select first_open.report_date, ticket_pairs.*
    from ticket_pairs
    inner join open_tickets as first_open on first_open.ticket_id = ticket_pairs.first_ticket_id
    inner join open_tickets as second_open
        on second_open.ticket_id = ticket_pairs.second_ticket_id
        and second_open.report_date = first_open.report_date
),

final as (
    select
        report_date,
        requester_id,
        first_ticket_id,
        second_ticket_id,
        hours_apart,
        shared_drivers,
        has_similar_subject,
        is_follow_up,
        case
            when is_follow_up then 'a follow-up'
            when has_similar_subject then 'near-identical subjects'
            else 'same driver ' || array_to_string(shared_drivers, ', ')
        end || ', opened ' || round(hours_apart)::integer || ' h apart' as reason,
    from pairs
    where len(shared_drivers) > 0 or has_similar_subject or is_follow_up
)

select * from final
