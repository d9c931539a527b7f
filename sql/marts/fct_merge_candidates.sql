-- one row per pair of backlog tickets of one requester, per report day, that look like one
-- conversation: opened within the merge window of each other on the same driver, or with
-- near-identical subjects, or the later one a follow-up ("any update?")
with

open_tickets as (
    select report_date, ticket_id, requester_id, created_at, tags
    from marts.fct_open_tickets
),

subjects as (
    select
        ticket_id,
        coalesce(subject, '') as subject,
        trim(regexp_replace(
            regexp_replace(lower(coalesce(subject, '')), '^((re|fwd?|aw|sv)\s*:\s*)+', ''),
            '[^a-z0-9]+', ' ', 'g'
        )) as normalized_subject,
    from staging.stg_tickets
),

settings as (
    select * from config.merge_settings
),

pairs as (
    select
        earlier.report_date,
        earlier.requester_id,
        earlier.ticket_id as first_ticket_id,
        later.ticket_id as second_ticket_id,
        (epoch(later.created_at) - epoch(earlier.created_at)) / 3600 as hours_apart,
        list_sort(list_intersect(earlier.tags, later.tags)) as shared_drivers,
        earlier_subject.normalized_subject <> ''
            and jaro_winkler_similarity(
                earlier_subject.normalized_subject, later_subject.normalized_subject
            ) >= settings.subject_similarity as has_similar_subject,
        len(list_filter(
            settings.follow_up_patterns,
            lambda pattern: regexp_matches(lower(later_subject.subject), pattern)
        )) > 0 as is_follow_up,
    from open_tickets as earlier
    inner join open_tickets as later
        on later.report_date = earlier.report_date
        and later.requester_id = earlier.requester_id
        and (later.created_at > earlier.created_at
            or (later.created_at = earlier.created_at and later.ticket_id > earlier.ticket_id))
    inner join subjects as earlier_subject on earlier_subject.ticket_id = earlier.ticket_id
    inner join subjects as later_subject on later_subject.ticket_id = later.ticket_id
    cross join settings
    where later.created_at <= earlier.created_at + to_microseconds(
        (settings.window_hours * 3600 * 1000000)::bigint
    )
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
