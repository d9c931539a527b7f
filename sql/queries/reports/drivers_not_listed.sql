-- one row: the drivers with tickets in D-6..D that the digest's list leaves out, how many
-- and the tickets of the largest of them (null when none is left out).
-- Parameters: $report_date (date), $listed (varchar[]: the drivers the list shows).
with

drivers as (
    select * from marts.fct_drivers_daily
    where report_date = $report_date::date and tickets_7d > 0
),

final as (
    select count(*) as drivers, max(tickets_7d) as largest_tickets_7d,
    from drivers
    where not list_contains($listed::varchar[], driver)
)

select * from final
