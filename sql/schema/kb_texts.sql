-- What tasks/kb/ keeps between mornings of each solved ticket's texts, so a KB refresh
-- does the per-ticket text work only for the tickets that are new or changed: the texts
-- prepared for clustering (redacted, without HTML and quoted history), the sentence keys
-- that find boilerplate, and the terms the vectors are made of (tasks/kb/textcache.py).
-- Every value is what the cold computation gives for the same input; a row is read only
-- when the ticket's raw texts (input_key), the code and the [kb] settings (cache_key) and,
-- for the terms, the window's boilerplate (terms_key) are those it was made from. Rows of
-- another cache_key, rows older than the last full model build and rows not written in
-- the last two windows are deleted; a window clustered on a sample keeps none.
create schema if not exists ops;
create table if not exists ops.kb_ticket_texts (
    ticket_id varchar not null,
    input_key varchar not null,        -- SHA-1 of the raw subject, description, resolution
    cache_key varchar not null,        -- SHA-1 of the text code and the [kb] settings
    written_on date not null,          -- the report day of the run that wrote the row
    cached_at timestamptz not null,
    subject varchar not null,          -- prepared (tasks.kb.text.prepare)
    description varchar not null,
    resolution varchar not null,
    problem_keys varchar not null,     -- distinct sentence keys of subject + description
    resolution_keys varchar not null,  -- and of the resolution, one per line
    terms_key varchar,                 -- SHA-1 of the boilerplate the terms were made with
    problem_terms varchar,             -- the terms (tasks.kb.text.terms_of), one per line
    resolution_terms varchar,
    primary key (ticket_id, input_key)
);
