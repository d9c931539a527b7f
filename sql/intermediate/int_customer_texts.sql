-- one row per thing a customer wrote: a ticket's description (at created_at) and each
-- end-user comment, with its words and word pairs/triples for the lexicon joins
-- (sentiment, escalation keywords): an equality join on n-grams instead of one regular
-- expression per text and term. Quoted text in comments is removed. `said_at` of a comment is 1 microsecond after its instant
-- so it wins a tie with a description written at the same instant.
-- incremental: ticket_id
with

texts as (
    select
        ticket_id,
        created_at as said_at,
        concat_ws(chr(10), subject, description) as body,
        'description' as source,
    from staging.stg_tickets
    where not is_deleted and coalesce(subject, description) is not null
        and ticket_id in (select ticket_id from scope_tickets)
    union all
    -- quoted text ("> ..." lines, everything after "On ... wrote:") is not the customer's
    select
        ticket_id,
        occurred_at + interval 1 microsecond,
        regexp_replace(
            regexp_replace(body, '(?s)\n[^\n]*\bon\b[^\n]*\bwrote:.*$', '', 'i'),
            '(?m)^\s*>.*$', '', 'g'
        ),
        'comment',
    from intermediate.int_end_user_activity
    where body is not null and ticket_id in (select ticket_id from scope_tickets)
),

words as (
    select
        *,
        list_filter(
            regexp_split_to_array(replace(lower(body), '’', ''''), '[^a-z0-9'']+'),
            lambda word: word <> ''
        ) as word_list,
    from texts
),

final as (
    select
        ticket_id,
        said_at,
        source,
        body,
        regexp_matches(body, '!{2,}') as has_double_bang,
        list_distinct(list_concat(
            word_list,
            list_transform(
                range(1, len(word_list)), lambda i: word_list[i] || ' ' || word_list[i + 1]
            ),
            list_transform(
                range(1, len(word_list) - 1),
                lambda i: word_list[i] || ' ' || word_list[i + 1] || ' ' || word_list[i + 2]
            )
        )) as grams,
    from words
)

select * from final
