-- config.sentiment_lexicon: one row per term with its polarity (-1 negative, 1 positive).
-- Filled from the shipped seed sql/seeds/sentiment_lexicon.csv ($path), not a setting;
-- read by fct_work_next (the sentiment of a ticket's text).
create or replace table config.sentiment_lexicon (term varchar, polarity integer);

insert into config.sentiment_lexicon
select lower(term) as term, polarity::integer as polarity
from read_csv($path, header = true, all_varchar = true);
