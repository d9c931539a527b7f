-- one row per record of one events load: canonical columns, renamed and cast
-- Reads the temp table `load_records` (the load's rows as read), the rows the reader
-- could split into columns. A missing event_id is derived from a hash of the record,
-- so the same row always gets the same id.
-- Parameters: $source_timezone, the zone of timestamps written without an offset;
-- $has_extra, whether the file has columns beyond the canonical ones (else `extra` is
-- null without looking).
with

records as (
    select * from load_records
    where problem is null
),

-- the record parsed once into a struct of every canonical column's text (one parse of
-- the whole record per column cost more than the rest of the typing; a list of the
-- texts cost a third more than the struct)
parsed as (
    select
        load_id,
        export_date,
        row_number,
        record,
        json_transform(record, '{
            "event_id": "VARCHAR", "ticket_id": "VARCHAR", "occurred_at": "VARCHAR",
            "kind": "VARCHAR", "from_value": "VARCHAR", "to_value": "VARCHAR",
            "author_id": "VARCHAR", "author_role": "VARCHAR", "public": "VARCHAR",
            "body": "VARCHAR"
        }') as v,
    from records
),

extracted as (
    select
        load_id,
        export_date,
        row_number,
        coalesce(clean_text(v.event_id), 'h-' || md5(record::varchar)) as event_id,
        clean_text(v.ticket_id) as ticket_id,
        clean_text(v.occurred_at) as occurred_at_text,
        lower(clean_text(v.kind)) as kind,
        clean_text(v.from_value) as from_value,
        clean_text(v.to_value) as to_value,
        clean_text(v.author_id) as author_id,
        lower(clean_text(v.author_role)) as author_role,
        lower(clean_text(v.public)) as public_text,
        v.body as body,
        case when $has_extra then json_merge_patch(
            record,
            '{"event_id": null, "ticket_id": null, "occurred_at": null, "kind": null,
              "from_value": null, "to_value": null, "author_id": null, "author_role": null,
              "public": null, "body": null}'
        ) end as extra,
    from parsed
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
