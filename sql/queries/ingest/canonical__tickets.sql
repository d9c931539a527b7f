-- one row per record of one tickets load: canonical columns, renamed and cast
-- Reads the temp table `load_records` (the load's rows as read), the rows the reader
-- could split into columns. Text values of timestamps are kept beside their cast so
-- validation can tell "missing" from "unparseable". Unknown columns stay in `extra`.
-- Parameters: $source_timezone, the zone of timestamps written without an offset;
-- $has_extra, whether the file has columns beyond the canonical ones (else `extra` is
-- null without looking).
with

records as (
    select * from load_records
    where problem is null
),

-- the record parsed once: every canonical column's value in one pass (one parse of the
-- whole record per column cost more than the rest of the typing); each value is then
-- read from its own small JSON fragment
parsed as (
    select
        load_id,
        export_date,
        row_number,
        record,
        json_extract(record, [
            'ticket_id', 'created_at', 'updated_at', 'status', 'requester_id', 'priority',
            'type', 'channel', 'group_name', 'assignee_id', 'organization_id',
            'customer_tier', 'subject', 'description', 'tags', 'solved_at',
            'first_reply_at', 'satisfaction'
        ]) as j,
    from records
),

extracted as (
    select
        load_id,
        export_date,
        row_number,
        clean_text(j[1] ->> '$') as ticket_id,
        clean_text(j[2] ->> '$') as created_at_text,
        clean_text(j[3] ->> '$') as updated_at_text,
        lower(clean_text(j[4] ->> '$')) as status,
        clean_text(j[5] ->> '$') as requester_id,
        lower(clean_text(j[6] ->> '$')) as priority,
        lower(clean_text(j[7] ->> '$')) as ticket_type,
        lower(clean_text(j[8] ->> '$')) as channel,
        clean_text(j[9] ->> '$') as group_name,
        clean_text(j[10] ->> '$') as assignee_id,
        clean_text(j[11] ->> '$') as organization_id,
        lower(clean_text(j[12] ->> '$')) as customer_tier,
        j[13] ->> '$' as subject,
        j[14] ->> '$' as description,
        case
            when json_type(j[15]) = 'ARRAY' then cast(j[15] as varchar[])
            else string_split(coalesce(j[15] ->> '$', ''), ';')
        end as tag_list,
        clean_text(j[16] ->> '$') as solved_at_text,
        clean_text(j[17] ->> '$') as first_reply_at_text,
        lower(clean_text(j[18] ->> '$')) as satisfaction,
        case when $has_extra then json_merge_patch(
            record,
            '{"ticket_id": null, "created_at": null, "updated_at": null, "status": null,
              "requester_id": null, "priority": null, "type": null, "channel": null,
              "group_name": null, "assignee_id": null, "organization_id": null,
              "customer_tier": null, "subject": null, "description": null, "tags": null,
              "solved_at": null, "first_reply_at": null, "satisfaction": null}'
        ) end as extra,
    from parsed
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
