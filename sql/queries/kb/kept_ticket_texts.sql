-- one row per given ticket whose texts ops.kb_ticket_texts keeps for the same raw texts and
-- cache key: its prepared texts, sentence keys and (when made) terms
-- Parameters: $ticket_ids, $input_keys (varchar[], the same length), $cache_key (varchar).
with

wanted as (
    select
        unnest($ticket_ids::varchar[]) as ticket_id,
        unnest($input_keys::varchar[]) as input_key,
),

final as (
    select
        kept.ticket_id,
        kept.input_key,
        kept.subject,
        kept.description,
        kept.resolution,
        kept.problem_keys,
        kept.resolution_keys,
        kept.terms_key,
        kept.problem_terms,
        kept.resolution_terms,
    from ops.kb_ticket_texts as kept
    inner join wanted using (ticket_id, input_key)
    where kept.cache_key = $cache_key::varchar
)

select * from final
