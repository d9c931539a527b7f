-- one row per record of one events load: canonical columns, renamed and cast
-- Reads the temp table `load_records` (the load's rows as read), the rows the reader
-- could split into columns. A missing event_id is derived from a hash of the record,
-- so the same row always gets the same id.
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
        coalesce(clean_text(record ->> 'event_id'), 'h-' || md5(record::varchar)) as event_id,
        clean_text(record ->> 'ticket_id') as ticket_id,
        clean_text(record ->> 'occurred_at') as occurred_at_text,
        lower(clean_text(record ->> 'kind')) as kind,
        clean_text(record ->> 'from_value') as from_value,
        clean_text(record ->> 'to_value') as to_value,
        clean_text(record ->> 'author_id') as author_id,
        lower(clean_text(record ->> 'author_role')) as author_role,
        lower(clean_text(record ->> 'public')) as public_text,
        record ->> 'body' as body,
        json_merge_patch(
            record,
            '{"event_id": null, "ticket_id": null, "occurred_at": null, "kind": null,
              "from_value": null, "to_value": null, "author_id": null, "author_role": null,
              "public": null, "body": null}'
        ) as extra,
    from records
),

final as (
    select
        load_id,
        export_date,
        row_number,
        event_id,
        ticket_id,
        occurred_at_text,
        parse_instant(occurred_at_text, $source_timezone) as occurred_at,
        kind,
        case when kind = 'status_change' then lower(from_value) else from_value end
            as from_value,
        case when kind = 'status_change' then lower(to_value) else to_value end as to_value,
        author_id,
        author_role,
        case
            when public_text in ('true', 't', '1', 'yes', 'y') then true
            when public_text in ('false', 'f', '0', 'no', 'n') then false
        end as is_public,
        body,
        case when extra = '{}' then null else extra end as extra,
    from extracted
)

select * from final
