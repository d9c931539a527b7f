-- Business hours: the open intervals of each schedule in UTC, materialised from the
-- config.business_* tables by tasks/models/open_intervals.py for whole years around the
-- loaded range (widened when the range grows, rebuilt when a schedule changes). The
-- business clocks are the overlap of [start, end) with these rows (int_business_intervals).

-- one row per open interval per schedule: [opens_at, closes_at), UTC instants
create table if not exists ops.business_intervals (
    schedule_name varchar not null,
    opens_at timestamptz not null,
    closes_at timestamptz not null,
    primary key (schedule_name, opens_at)
);

-- one row: what ops.business_intervals was built from (a hash of the config.business_*
-- rows) and the local dates it covers
create table if not exists ops.business_intervals_built (
    fingerprint varchar not null,
    covers_from date not null,
    covers_to date not null
);
