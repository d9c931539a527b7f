-- one row per ticket an incremental build rebuilds (tasks/models/plan.py): every ticket in a
-- load not built yet ($new_loads, their load ids), and every ticket whose own rows depend on
-- one of those: a solved ticket whose 7-day recontact flag (fct_ticket_metrics) can flip
-- because a ticket of its requester appeared, vanished or moved in its window, or which
-- links a touched ticket as a follow-up. Read before the build changes anything:
-- staging.stg_tickets and marts.fct_ticket_metrics are still the last build's.
with

touched_ids as (
    select ticket_id from staging.stg_ticket_versions
    where load_id in (select unnest($new_loads::varchar[]))
    union
    select ticket_id from staging.stg_events
    where load_id in (select unnest($new_loads::varchar[]))
),

-- a touched ticket's creation as it is now (its latest version, as staging.stg_tickets
-- picks it) and as the last build knew it
now_known as (
    select
        ticket_id,
        arg_max(requester_id, (updated_at, export_date, row_number, load_id)) as requester_id,
        arg_max(created_at, (updated_at, export_date, row_number, load_id)) as created_at,
        arg_max(status, (updated_at, export_date, row_number, load_id)) = 'deleted' as is_deleted,
    from staging.stg_ticket_versions
    where ticket_id in (select ticket_id from touched_ids)
    group by ticket_id
),

last_known as (
    select ticket_id, requester_id, created_at, is_deleted
    from staging.stg_tickets
    where ticket_id in (select ticket_id from touched_ids)
),

changed as (
    select
        now_known.ticket_id,
        now_known.requester_id,
        now_known.created_at,
        now_known.is_deleted,
        last_known.requester_id as last_requester_id,
        last_known.created_at as last_created_at,
        coalesce(last_known.is_deleted, true) as was_absent,
    from now_known
    left join last_known using (ticket_id)
    where last_known.ticket_id is null
        or now_known.is_deleted <> last_known.is_deleted
        or now_known.requester_id <> last_known.requester_id
        or now_known.created_at <> last_known.created_at
),

-- a ticket that appeared can only turn a recontact flag on, one that vanished only off
recontact_windows as (
    select solved.ticket_id
    from marts.fct_ticket_metrics as solved
    inner join changed
        on changed.requester_id = solved.requester_id
        and changed.created_at > solved.first_solved_at
        and changed.created_at <= solved.first_solved_at + interval 168 hours
    where not changed.is_deleted and not solved.is_recontacted_within_7d
    union
    select solved.ticket_id
    from marts.fct_ticket_metrics as solved
    inner join changed
        on changed.last_requester_id = solved.requester_id
        and changed.last_created_at > solved.first_solved_at
        and changed.last_created_at <= solved.first_solved_at + interval 168 hours
    where not changed.was_absent and solved.is_recontacted_within_7d
),

-- the same-issue flag also reads a later ticket's driver values and links, which can change
-- while its requester and creation stay: every solved ticket with a touched ticket of its
-- requester in its window is rebuilt
same_issue_windows as (
    select solved.ticket_id
    from marts.fct_ticket_metrics as solved
    inner join (
        select requester_id, created_at from now_known
        union
        select requester_id, created_at from last_known
    ) as touched
        on touched.requester_id = solved.requester_id
        and touched.created_at > solved.first_solved_at
        and touched.created_at <= solved.first_solved_at + interval 168 hours
),

-- a follow-up that names the ticket it follows up (Zendesk via.source.from.ticket_id), as
-- exported now or as the last build knew it
follow_up_sources as (
    select json_extract_string(extra, '$.followup_source_id') as ticket_id
    from staging.stg_ticket_versions
    where load_id in (select unnest($new_loads::varchar[]))
        and json_extract_string(extra, '$.via_followup_source_id') = 'follow_up'
    union
    select json_extract_string(extra, '$.followup_source_id') as ticket_id
    from staging.stg_tickets
    where ticket_id in (select ticket_id from touched_ids)
        and json_extract_string(extra, '$.via_followup_source_id') = 'follow_up'
),

follow_up_links as (
    select linking.ticket_id
    from (
        select
            ticket_id,
            unnest(from_json(json_extract_string(extra, '$.followup_ids'), '["VARCHAR"]'))
                as followup_id,
        from staging.stg_tickets
        where json_extract_string(extra, '$.followup_ids') like '[%'
    ) as linking
    where linking.followup_id in (select ticket_id from touched_ids)
)

select ticket_id from touched_ids
union
select ticket_id from recontact_windows
union
select ticket_id from follow_up_links
union
select ticket_id from same_issue_windows
union
select ticket_id from follow_up_sources where ticket_id is not null
