-- one row per status change of a ticket, its creation included (see DECISIONLOG.md)
-- The single place that decides what a ticket's status was at any instant:
-- status at t = to_status of the last row with changed_at < t.
-- incremental: ticket_id
with

tickets as (
    select ticket_id, created_at
    from staging.stg_tickets
    where not is_deleted and in_scope(ticket_id)
),

status_events as (
    select
        events.ticket_id,
        greatest(events.occurred_at, tickets.created_at) as changed_at,
        events.from_value,
        events.to_value as to_status,
        events.export_date,
        events.row_number,
        events.load_id,
    from scope_events as events  -- staging.stg_events of the tickets in scope
    inner join tickets using (ticket_id)
    where events.kind = 'status_change'
        and events.to_value in ('new', 'open', 'pending', 'hold', 'solved', 'closed')
),

event_tickets as (
    select
        ticket_id,
        -- arg_min_null: the first event's from, NULL included (arg_min skips NULLs and would
        -- take a later event's from, inventing a solve at creation)
        arg_min_null(from_value, (changed_at, export_date, row_number, load_id))
            as first_from_value,
        min(changed_at) as first_event_at,
    from status_events
    group by ticket_id
),

-- snapshots: successive versions of tickets without status events, and of tickets with
-- status events the versions from before their first event (a ticket carried over from
-- before the events begin)
versions as (
    select
        versions.ticket_id,
        tickets.created_at,
        versions.updated_at,
        versions.solved_at,
        versions.status,
        versions.export_date,
        versions.row_number,
        versions.load_id,
    from scope_ticket_versions as versions  -- staging.stg_ticket_versions in scope
    inner join tickets using (ticket_id)
    left join event_tickets using (ticket_id)
    where versions.status <> 'deleted'
        and (event_tickets.ticket_id is null or versions.updated_at < event_tickets.first_event_at)
),

pre_event_versions as (
    select distinct ticket_id from versions
    where ticket_id in (select ticket_id from event_tickets)
),

versions_with_previous as (
    select
        *,
        row_number() over version_order as version_seq,
        coalesce(lag(status) over version_order, 'new') as previous_status,
        coalesce(lag(updated_at) over version_order, created_at) as previous_updated_at,
        lag(solved_at) over version_order as previous_solved_at,
    from versions
    window version_order as (
        partition by ticket_id order by updated_at, export_date, row_number, load_id
    )
),

versions_with_solve as (
    select
        *,
        previous_status in ('new', 'open', 'pending', 'hold')
            and solved_at is not null
            -- strictly after the previous version, which still showed it unsolved;
            -- the first version's predecessor is the creation instant itself
            and (solved_at > previous_updated_at or (version_seq = 1 and solved_at = created_at))
            and solved_at <= updated_at
            and (previous_solved_at is null or solved_at > previous_solved_at)
            as has_solve_between,
        -- solved before and solved again later: it was reopened and solved again in between;
        -- the reopen's instant is unknown, so it is placed at the new solve (zero length)
        previous_status in ('solved', 'closed')
            and solved_at is not null
            and solved_at > previous_updated_at
            and solved_at <= updated_at
            and (previous_solved_at is null or solved_at > previous_solved_at)
            as has_resolve_between,
    from versions_with_previous
),

snapshot_changes as (
    -- a reopen implied by a newer solved_at on a ticket that was already solved
    select ticket_id, solved_at as changed_at, 'open' as to_status, version_seq, 0 as step
    from versions_with_solve
    where has_resolve_between
    union all
    -- a solve the version records in solved_at, placed at that instant
    select ticket_id, solved_at as changed_at, 'solved' as to_status,
        version_seq, 1 as step
    from versions_with_solve
    where has_solve_between or has_resolve_between
    union all
    -- the version's own status, placed at its updated_at
    select ticket_id, updated_at as changed_at, status as to_status,
        version_seq, 2 as step
    from versions_with_solve
),

creations as (
    select
        tickets.ticket_id,
        tickets.created_at as changed_at,
        case
            when event_tickets.first_from_value in ('new', 'open', 'pending', 'hold')
                and pre_event_versions.ticket_id is null
                then event_tickets.first_from_value
            else 'new'
        end as to_status,
    from tickets
    left join event_tickets using (ticket_id)
    left join pre_event_versions using (ticket_id)
),

-- a history whose first event leaves solved/closed started solved: solved at created_at
solved_at_creation as (
    select tickets.ticket_id, tickets.created_at as changed_at, event_tickets.first_from_value
        as to_status,
    from tickets
    inner join event_tickets using (ticket_id)
    where event_tickets.first_from_value in ('solved', 'closed')
        and event_tickets.ticket_id not in (select ticket_id from pre_event_versions)
),

all_changes as (
    select ticket_id, changed_at, to_status, 'creation' as source, 0 as sort_1, 0 as sort_2,
        0 as sort_3, '' as sort_4
    from creations
    union all
    select ticket_id, changed_at, to_status, 'events' as source, 0, 1, 0, ''
    from solved_at_creation
    union all
    -- events tied on the instant keep the export's order: day, row, then file (load id)
    select ticket_id, changed_at, to_status, 'events' as source, 1,
        epoch_ms(export_date::timestamp), row_number, load_id
    from status_events
    union all
    select ticket_id, changed_at, to_status, 'snapshots' as source, 1, version_seq, step, ''
    from snapshot_changes
),

chained as (
    select
        ticket_id,
        changed_at,
        lag(to_status) over change_order as from_status,
        to_status,
        source,
        row_number() over change_order as change_order,
    from all_changes
    window change_order as (
        partition by ticket_id order by changed_at, sort_1, sort_2, sort_3, sort_4
    )
),

final as (
    select
        ticket_id,
        row_number() over (partition by ticket_id order by change_order) as status_seq,
        from_status,
        to_status,
        changed_at,
        timezone(getvariable('report_timezone'), changed_at)::date as changed_date,
        source,
        from_status is null as is_creation,
        coalesce(
            from_status in ('new', 'open', 'pending', 'hold') and to_status in ('solved', 'closed'),
            false
        ) as is_solve,
        coalesce(
            from_status in ('solved', 'closed') and to_status in ('new', 'open', 'pending', 'hold'),
            false
        ) as is_reopen,
    from chained
    where from_status is null or from_status <> to_status
)

select * from final
