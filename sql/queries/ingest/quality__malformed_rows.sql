-- one row per kind of row one load could not split into columns, with how many rows
-- A kind is the quarantine reason without its per-row details in parentheses (line
-- spans, bytes, parser messages). Parameter: $load_id.
with

malformed as (
    select reason
    from ops.quarantine
    where load_id = $load_id and record is null
),

final as (
    select
        regexp_replace(reason, '\s*\([^)]*\)', '', 'g') as kind,
        count(*) as row_count,
    from malformed
    group by kind
)

select * from final
order by row_count desc, kind
