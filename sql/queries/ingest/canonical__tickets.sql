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

-- the record parsed once into a struct of every canonical column's text (one parse of
-- the whole record per column cost more than the rest of the typing; a list of JSON
-- fragments, each parsed again, cost a third more). `tags` is read as JSON on its own (an
-- array is a list of tags, a string a ;-separated list): inside the struct, DuckDB folds
-- the array branch's cast into the parse and fails on a string.
parsed as (
    select
        load_id,
        export_date,
        row_number,
        record,
        json_transform(record, '{
            "ticket_id": "VARCHAR", "created_at": "VARCHAR", "updated_at": "VARCHAR",
            "status": "VARCHAR", "requester_id": "VARCHAR", "priority": "VARCHAR",
            "type": "VARCHAR", "channel": "VARCHAR", "group_name": "VARCHAR",
            "assignee_id": "VARCHAR", "organization_id": "VARCHAR",
            "customer_tier": "VARCHAR", "subject": "VARCHAR", "description": "VARCHAR",
            "solved_at": "VARCHAR", "first_reply_at": "VARCHAR",
            "satisfaction": "VARCHAR"
        }') as v,
        json_extract(record, '$.tags') as tags_json,
    from records
),

extracted as (
    select
        load_id,
        export_date,
        row_number,
        clean_text(v.ticket_id) as ticket_id,
        clean_text(v.created_at) as created_at_text,
        clean_text(v.updated_at) as updated_at_text,
        lower(clean_text(v.status)) as status,
        clean_text(v.requester_id) as requester_id,
        lower(clean_text(v.priority)) as priority,
        lower(clean_text(v.type)) as ticket_type,
        lower(clean_text(v.channel)) as channel,
        clean_text(v.group_name) as group_name,
        clean_text(v.assignee_id) as assignee_id,
        clean_text(v.organization_id) as organization_id,
        lower(clean_text(v.customer_tier)) as customer_tier,
        v.subject as subject,
        v.description as description,
        case
            when json_type(tags_json) = 'ARRAY' then cast(tags_json as varchar[])
            else string_split(coalesce(tags_json ->> '$', ''), ';')
        end as tag_list,
        clean_text(v.solved_at) as solved_at_text,
        clean_text(v.first_reply_at) as first_reply_at_text,
        lower(clean_text(v.satisfaction)) as satisfaction,
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
