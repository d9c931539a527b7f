-- one row per ticket: its latest known version (latest updated_at, then latest export)
-- driver_values: what the drivers mart counts, per config drivers.dimension (variable
-- driver_dimension): "tags" (the default), or "field:<name>", a ticket column or a key
-- of `extra` (where unknown export columns, e.g. a Zendesk custom field, land).
-- incremental: ticket_id
with

versions as (
    select * from staging.stg_ticket_versions
    where in_scope(ticket_id)
),

settings as (
    select
        *,
        coalesce(getvariable('driver_dimension'), 'tags') as driver_dimension,
        case when starts_with(coalesce(getvariable('driver_dimension'), 'tags'), 'field:')
            then '$."' || substr(getvariable('driver_dimension'), 7) || '"' end
            as driver_field_path,
    from config.driver_settings
),

ranked as (
    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, export_date desc, row_number desc, load_id desc
        ) as recency_rank,
        count(*) over (partition by ticket_id) as version_count,
    from versions
),

latest as (
    select
        ranked.*,
        list_filter(
            coalesce(ranked.tags, []::varchar[]),
            lambda tag: not list_contains(settings.ignore_tags, tag)
        ) as filtered_tags,
        case when settings.driver_field_path is not null
            then lower(trim(coalesce(
                to_json(ranked) ->> settings.driver_field_path,
                ranked.extra ->> settings.driver_field_path
            ))) end as field_value,
    from ranked
    cross join settings
    where ranked.recency_rank = 1
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
        filtered_tags as tags,
        solved_at,
        first_reply_at,
        satisfaction,
        extra,
        version_count,
        export_date as last_export_date,
        case
            when settings.driver_dimension = 'tags' then filtered_tags
            when field_value is null or field_value = '' then []::varchar[]
            when list_contains(settings.ignore_tags, field_value) then []::varchar[]
            else [field_value]
        end as driver_values,
    from latest
    cross join settings
)

select * from final
