-- one row per report day from the first loaded export: reopen/recontact cohorts, response times
-- Cohort as of D: tickets first solved in D-13..D-7. Reply figures: tickets created in
-- D-6..D replied by the end of D. Resolution: tickets first solved in D-6..D. The business
-- figures: the same tickets, their business clocks (null without [business_hours]).
-- incremental: report_date
with

-- the report days from 13 days before the first one built (the cohort window's days)
days as (
    select * from intermediate.int_report_days
    where report_date >= getvariable('build_from') - 13
),

-- the tickets some built day's figures read: created or first solved in its windows
tickets as (
    select * from marts.fct_ticket_metrics
    where created_date >= getvariable('build_from') - 13
        or first_solved_date >= getvariable('build_from') - 13
),

cohort_by_solve_date as (
    select
        first_solved_date as report_date,
        count(*) as solved,
        count(*) filter (where is_reopened_within_7d) as reopened,
        count(*) filter (where is_recontacted_within_7d) as recontacted,
        count(*) filter (where is_same_issue_recontacted_within_7d) as same_issue_recontacted,
    from tickets
    where first_solved_date is not null
    group by first_solved_date
),

cohorts as (
    select
        days.report_date,
        days.is_after_first_export,
        coalesce(sum(cohort.solved) over cohort_window, 0) as reopen_cohort,
        coalesce(sum(cohort.reopened) over cohort_window, 0) as reopened_in_cohort,
        coalesce(sum(cohort.recontacted) over cohort_window, 0) as recontacted_in_cohort,
        coalesce(sum(cohort.same_issue_recontacted) over cohort_window, 0)
            as same_issue_recontacted_in_cohort,
    from days
    left join cohort_by_solve_date as cohort using (report_date)
    window cohort_window as (order by days.report_date rows between 13 preceding and 7 preceding)
),

replies as (
    select
        days.report_date,
        quantile_cont(tickets.first_reply_minutes, 0.5)
            filter (where tickets.first_reply_at < days.as_of_at) as first_reply_p50_minutes,
        quantile_cont(tickets.first_reply_minutes, 0.9)
            filter (where tickets.first_reply_at < days.as_of_at) as first_reply_p90_minutes,
        count(*) filter (where tickets.first_reply_at < days.as_of_at) as first_reply_count,
        quantile_cont(tickets.ttfmr_minutes, 0.5)
            filter (where tickets.first_meaningful_reply_at < days.as_of_at) as ttfmr_p50_minutes,
        quantile_cont(tickets.ttfmr_minutes, 0.9)
            filter (where tickets.first_meaningful_reply_at < days.as_of_at) as ttfmr_p90_minutes,
        count(*) filter (where tickets.first_meaningful_reply_at < days.as_of_at) as ttfmr_count,
        quantile_cont(tickets.first_reply_business_minutes, 0.5)
            filter (where tickets.first_reply_at < days.as_of_at)
            as first_reply_business_p50_minutes,
        quantile_cont(tickets.first_reply_business_minutes, 0.9)
            filter (where tickets.first_reply_at < days.as_of_at)
            as first_reply_business_p90_minutes,
        quantile_cont(tickets.ttfmr_business_minutes, 0.5)
            filter (where tickets.first_meaningful_reply_at < days.as_of_at)
            as ttfmr_business_p50_minutes,
        quantile_cont(tickets.ttfmr_business_minutes, 0.9)
            filter (where tickets.first_meaningful_reply_at < days.as_of_at)
            as ttfmr_business_p90_minutes,
    from days
    inner join tickets
        on tickets.created_date between days.report_date - 6 and days.report_date
    group by days.report_date
),

resolutions as (
    select
        days.report_date,
        quantile_cont(tickets.first_resolution_hours, 0.5) as resolution_p50_hours,
        quantile_cont(tickets.first_resolution_hours, 0.9) as resolution_p90_hours,
        count(*) as resolution_count,
        quantile_cont(tickets.first_resolution_business_minutes / 60, 0.5)
            as resolution_business_p50_hours,
    from days
    inner join tickets
        on tickets.first_solved_date between days.report_date - 6 and days.report_date
    group by days.report_date
),

final as (
    select
        cohorts.report_date,
        cohorts.reopen_cohort::bigint as reopen_cohort,
        case when cohorts.reopen_cohort > 0
            then cohorts.reopened_in_cohort / cohorts.reopen_cohort end as reopen_rate_7d,
        cohorts.reopen_cohort::bigint as recontact_cohort,
        case when cohorts.reopen_cohort > 0
            then cohorts.recontacted_in_cohort / cohorts.reopen_cohort end as recontact_rate_7d,
        cohorts.same_issue_recontacted_in_cohort::bigint as same_issue_recontacted,
        case when cohorts.reopen_cohort > 0
            then cohorts.same_issue_recontacted_in_cohort / cohorts.reopen_cohort end
            as same_issue_recontact_rate_7d,
        replies.first_reply_p50_minutes,
        replies.first_reply_p90_minutes,
        coalesce(replies.first_reply_count, 0) as first_reply_count,
        replies.ttfmr_p50_minutes,
        replies.ttfmr_p90_minutes,
        coalesce(replies.ttfmr_count, 0) as ttfmr_count,
        resolutions.resolution_p50_hours,
        resolutions.resolution_p90_hours,
        coalesce(resolutions.resolution_count, 0) as resolution_count,
        replies.first_reply_business_p50_minutes,
        replies.first_reply_business_p90_minutes,
        replies.ttfmr_business_p50_minutes,
        replies.ttfmr_business_p90_minutes,
        resolutions.resolution_business_p50_hours,
    from cohorts
    left join replies using (report_date)
    left join resolutions using (report_date)
    where cohorts.is_after_first_export
)

select * from final
