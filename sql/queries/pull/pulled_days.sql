-- one row per day of $source pulled whole, oldest first
select pulled_date
from ops.pull_state
where source = $source
order by pulled_date;
