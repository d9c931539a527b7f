-- config.merge_settings: one row, how fct_merge_candidates pairs likely duplicates.
-- Filled from [merge] `window_hours` (how close in time), `subject_similarity` (how alike
-- the subjects) and `follow_up_patterns` (texts that mark a follow-up, not a duplicate).
create or replace table config.merge_settings (
    window_hours double,
    subject_similarity double,
    follow_up_patterns varchar[]
);

insert into config.merge_settings values ($window_hours, $subject_similarity, $follow_up_patterns);
