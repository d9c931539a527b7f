-- one row per thing a customer wrote: a ticket's description (at created_at) and each
-- end-user comment, with the sentiment lexicon's terms and the escalation keywords it
-- uses: its words and word pairs/triples that are one of those terms (an equality test
-- on n-grams instead of one regular expression per text and term). Only those n-grams
-- are kept, and pairs and triples are formed only where a word starts a term of several
-- words: a text has hundreds of n-grams, and storing them all cost more than the rest of
-- the model (DECISIONLOG.md). Quoted text in comments is removed. `said_at` of a comment
-- is 1 microsecond after its instant so it wins a tie with a description written at the
-- same instant.
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

-- the only n-grams a model looks up (int_ticket_escalations, fct_work_next), and the
-- words that start one of several words
terms as (
    select
        coalesce(list(distinct term), []) as terms,
        coalesce(list(distinct split_part(term, ' ', 1)) filter (where term like '% %'), [])
            as first_words,
    from (
        select term from config.sentiment_lexicon
        union all
        select term from config.escalation_keywords
    )
),

words as (
    select
        *,
        -- the runs of letters, digits and apostrophes
        regexp_extract_all(replace(lower(body), '’', ''''), '[a-z0-9'']+') as word_list,
    from texts
),

final as (
    select
        ticket_id,
        said_at,
        source,
        body,
        regexp_matches(body, '!{2,}') as has_double_bang,
        list_sort(list_intersect(list_concat(
            word_list,
            list_transform(
                list_filter(
                    range(1, len(word_list)),
                    lambda i: list_contains(terms.first_words, word_list[i])
                ),
                lambda i: word_list[i] || ' ' || word_list[i + 1]
            ),
            list_transform(
                list_filter(
                    range(1, len(word_list) - 1),
                    lambda i: list_contains(terms.first_words, word_list[i])
                ),
                lambda i: word_list[i] || ' ' || word_list[i + 1] || ' ' || word_list[i + 2]
            )
        ), terms.terms)) as grams,
    from words
    cross join terms
)

select * from final
