-- Delete the rows of ops.kb_ticket_texts a KB refresh must neither read nor keep: made with
-- other text code or [kb] settings ($cache_key), written before $oldest (no window of the
-- refresh's day or later reads them), or written before the last full model build.
-- Parameters: $cache_key (varchar), $oldest (date).
delete from ops.kb_ticket_texts as kept
where kept.cache_key <> $cache_key::varchar
    or kept.written_on < $oldest::date
    or exists (
        select 1
        from ops.model_builds as builds
        where builds.is_full and builds.built_at > kept.cached_at
    )
