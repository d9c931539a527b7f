-- `backlog pull` keeps, per source and pulled day, where the day's pull ended (the API's
-- cursor and the high-water mark) and what it got. A row is written only after the day's
-- folder is complete on disk, so a day without a row was never pulled whole.
create schema if not exists ops;
create table if not exists ops.pull_state (
    source varchar not null,
    pulled_date date not null,
    window_start timestamptz not null,
    window_end timestamptz not null,
    high_water_mark timestamptz not null,
    cursor varchar,
    requests integer not null,
    pages integer not null,
    records integer not null,
    records_in_window integer not null,
    folder varchar not null,
    pulled_at timestamptz not null,
    primary key (source, pulled_date)
);
