-- one row per (source, pulled day): the day's pull as its manifest says, replacing a re-pull
insert or replace into ops.pull_state
select
    $source as source,
    $pulled_date::date as pulled_date,
    $window_start::timestamptz as window_start,
    $window_end::timestamptz as window_end,
    $high_water_mark::timestamptz as high_water_mark,
    $cursor as cursor,
    $requests as requests,
    $pages as pages,
    $records as records,
    $records_in_window as records_in_window,
    $folder as folder,
    $pulled_at::timestamptz as pulled_at;
