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
        and in_scope(ticket_id)
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
    where body is not null and in_scope(ticket_id)
),

-- the only n-grams a model looks up (int_ticket_escalations, fct_work_next), and the
-- words that start one of several words
terms as (
    select distinct term
    from (
        select term from config.sentiment_lexicon
        union all
        select term from config.escalation_keywords
    )
),

first_words as (
    select coalesce(list(distinct split_part(term, ' ', 1)), []) as words
    from terms
    where term like '% %'
),

words as (
    select
        *,
        row_number() over () as text_seq,
        -- the runs of letters, digits and apostrophes
        regexp_extract_all(replace(lower(body), '’', ''''), '[a-z0-9'']+') as word_list,
    from texts
),

-- pairs and triples only where a word starts a term of several words
phrases as (
    select
        words.text_seq,
        list_concat(
            list_transform(
                list_filter(
                    range(1, len(word_list)),
                    lambda i: list_contains(first_words.words, word_list[i])
                ),
                lambda i: word_list[i] || ' ' || word_list[i + 1]
            ),
            list_transform(
                list_filter(
                    range(1, len(word_list) - 1),
                    lambda i: list_contains(first_words.words, word_list[i])
                ),
                lambda i: word_list[i] || ' ' || word_list[i + 1] || ' ' || word_list[i + 2]
            )
        ) as grams,
    from words
    cross join first_words
),

-- each text's words and phrases that are a term: one row per occurrence, joined to the
-- terms (a list intersection per text costs ten times more)
hits as (
    select grams.text_seq, terms.term
    from (
        select text_seq, unnest(word_list) as gram from words
        union all
        select text_seq, unnest(grams) from phrases
    ) as grams
    inner join terms on terms.term = grams.gram
),

text_terms as (
    select text_seq, list(distinct term order by term) as grams
    from hits
    group by text_seq
),

final as (
    select
        words.ticket_id,
        words.said_at,
        words.source,
        words.body,
        regexp_matches(words.body, '!{2,}') as has_double_bang,
        coalesce(text_terms.grams, []) as grams,
    from words
    left join text_terms using (text_seq)
)

select * from final
