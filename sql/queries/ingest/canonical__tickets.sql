-- one row per record of one tickets load: canonical columns, renamed and cast
-- Reads the temp table `load_records` (the load's rows as read), the rows the reader
-- could split into columns. Text values of timestamps are kept beside their cast so
-- validation can tell "missing" from "unparseable". Unknown columns stay in `extra`.
-- Parameter: $source_timezone, the zone of timestamps written without an offset.
with

records as (
    select * from load_records
    where problem is null
),

extracted as (
    select
        load_id,
        export_date,
        row_number,
        clean_text(record ->> 'ticket_id') as ticket_id,
        clean_text(record ->> 'created_at') as created_at_text,
        clean_text(record ->> 'updated_at') as updated_at_text,
        lower(clean_text(record ->> 'status')) as status,
        clean_text(record ->> 'requester_id') as requester_id,
        lower(clean_text(record ->> 'priority')) as priority,
        lower(clean_text(record ->> 'type')) as ticket_type,
        lower(clean_text(record ->> 'channel')) as channel,
        clean_text(record ->> 'group_name') as group_name,
        clean_text(record ->> 'assignee_id') as assignee_id,
        clean_text(record ->> 'organization_id') as organization_id,
        lower(clean_text(record ->> 'customer_tier')) as customer_tier,
        record ->> 'subject' as subject,
        record ->> 'description' as description,
        case
            when json_type(record -> 'tags') = 'ARRAY'
                then cast(record -> 'tags' as varchar[])
            else string_split(coalesce(record ->> 'tags', ''), ';')
        end as tag_list,
        clean_text(record ->> 'solved_at') as solved_at_text,
        clean_text(record ->> 'first_reply_at') as first_reply_at_text,
        lower(clean_text(record ->> 'satisfaction')) as satisfaction,
        json_merge_patch(
            record,
            '{"ticket_id": null, "created_at": null, "updated_at": null, "status": null,
              "requester_id": null, "priority": null, "type": null, "channel": null,
              "group_name": null, "assignee_id": null, "organization_id": null,
              "customer_tier": null, "subject": null, "description": null, "tags": null,
              "solved_at": null, "first_reply_at": null, "satisfaction": null}'
        ) as extra,
    from records
),

final as (
    select
        load_id,
        export_date,
        row_number,
        ticket_id,
        created_at_text,
        parse_instant(created_at_text, $source_timezone) as created_at,
        updated_at_text,
        parse_instant(updated_at_text, $source_timezone) as updated_at,
        status,
        requester_id,
        priority,
        ticket_type,
        channel,
        group_name,
        assignee_id,
        organization_id,
        customer_tier,
        subject,
        description,
        list_sort(list_distinct(
            list_filter(list_transform(tag_list, lambda tag: lower(trim(tag))), lambda tag: tag <> '')
        )) as tags,
        solved_at_text,
        parse_instant(solved_at_text, $source_timezone) as solved_at,
        first_reply_at_text,
        parse_instant(first_reply_at_text, $source_timezone) as first_reply_at,
        satisfaction,
        case when extra = '{}' then null else extra end as extra,
    from extracted
)

select * from final
