-- returns the days where net(D) differs from change_1d or the status split from the total
select report_date, net, change_1d, backlog, backlog_new, backlog_open, backlog_pending,
    backlog_hold
from marts.fct_daily_flow
where net <> change_1d
    or backlog <> backlog_new + backlog_open + backlog_pending + backlog_hold
    or least(backlog_new, backlog_open, backlog_pending, backlog_hold) < 0
