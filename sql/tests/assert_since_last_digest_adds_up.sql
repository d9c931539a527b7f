-- returns the report days whose period since the last digest does not add up: the
-- backlog's change over it differs from inflow + reopened - outflow, or net from either
select report_date, period_start_date, inflow, outflow, reopened, net, backlog_change
from marts.fct_since_last_digest
where backlog_change <> inflow + reopened - outflow
    or net <> backlog_change
    or period_days <> report_date - previous_digest_date
