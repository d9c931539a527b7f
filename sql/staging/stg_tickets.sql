-- one row per ticket: its latest known version (latest updated_at, then latest export)
with

versions as (
    select * from staging.stg_ticket_versions
),

settings as (
    select * from config.driver_settings
),

ranked as (
    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, export_date desc, row_number desc
        ) as recency_rank,
        count(*) over (partition by ticket_id) as version_count,
    from versions
),

final as (
    select
        ticket_id,
        created_at,
        updated_at,
        status,
        status = 'deleted' as is_deleted,
        requester_id,
        coalesce(priority, 'normal') as priority,
        ticket_type,
        channel,
        group_name,
        assignee_id,
        organization_id,
        customer_tier,
        subject,
        description,
        list_filter(
            coalesce(tags, []::varchar[]),
            lambda tag: not list_contains(settings.ignore_tags, tag)
        ) as tags,
        solved_at,
        first_reply_at,
        satisfaction,
        extra,
        version_count,
        export_date as last_export_date,
    from ranked
    cross join settings
    where recency_rank = 1
)

select * from final
