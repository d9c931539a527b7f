-- config.urgency_by_priority: one row per name: the urgency of each priority, lower case (fct_work_next).
-- Filled from [work.urgency] (names lower-cased).
create or replace table config.urgency_by_priority (name varchar primary key, value double);

insert into config.urgency_by_priority values ($name, $value);
