-- config.ack_patterns: one row per regular expression that marks an agent comment as an
-- automatic acknowledgement, not a first reply. Filled from the setting `ack_patterns`
-- (also the session variable `ack_pattern`, all patterns in one); read by the KB queries.
create or replace table config.ack_patterns (pattern varchar);

insert into config.ack_patterns values ($pattern);
