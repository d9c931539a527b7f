-- config.value_by_tier: one row per name: the value of each customer tier, lower case (fct_work_next).
-- Filled from [work.customer_value] (names lower-cased).
create or replace table config.value_by_tier (name varchar primary key, value double);

insert into config.value_by_tier values ($name, $value);
