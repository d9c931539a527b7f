-- one row per ticket per driver value: the one driver definition every driver figure reads
-- driver: a tag (after config.driver_settings.ignore_tags), or the value of the field named
-- by config drivers.dimension (variable driver_dimension), from each ticket's latest version
-- (staging.stg_tickets.driver_values). A ticket with two tags has two rows; a ticket without
-- a driver value has none.
-- incremental: ticket_id
with

tickets as (
    select ticket_id, driver_values from staging.stg_tickets
    where in_scope(ticket_id)
),

final as (
    select distinct tickets.ticket_id, driver.driver_value as driver
    from tickets
    cross join unnest(tickets.driver_values) as driver(driver_value)
    where driver.driver_value is not null
)

select * from final
