-- config.work_weights: one row per name: the weight of each term of the work-next score (fct_work_next).
-- Filled from [work.weights] (names lower-cased).
create or replace table config.work_weights (name varchar primary key, value double);

insert into config.work_weights values ($name, $value);
