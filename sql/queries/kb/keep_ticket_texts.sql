-- Insert or replace one row of ops.kb_ticket_texts per ticket computed by a KB refresh of
-- $written_on. Parameters: $written_on (date), $cache_key (varchar) and one list per column
-- (the same length): $ticket_ids, $input_keys, $subjects, $descriptions, $resolutions,
-- $problem_keys, $resolution_keys, $terms_keys, $problem_terms, $resolution_terms.
insert or replace into ops.kb_ticket_texts (
    ticket_id,
    input_key,
    cache_key,
    written_on,
    cached_at,
    subject,
    description,
    resolution,
    problem_keys,
    resolution_keys,
    terms_key,
    problem_terms,
    resolution_terms
)
select
    unnest($ticket_ids::varchar[]),
    unnest($input_keys::varchar[]),
    $cache_key::varchar,
    $written_on::date,
    now(),
    unnest($subjects::varchar[]),
    unnest($descriptions::varchar[]),
    unnest($resolutions::varchar[]),
    unnest($problem_keys::varchar[]),
    unnest($resolution_keys::varchar[]),
    unnest($terms_keys::varchar[]),
    unnest($problem_terms::varchar[]),
    unnest($resolution_terms::varchar[])
