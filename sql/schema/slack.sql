-- Slack delivery ledger (tasks/delivery/slack/): what makes the digest exactly-once per day and channel.
-- A row is written before the first request, so an undelivered digest stays `pending` and the
-- next run or `backlog digest --post` sends it; `ts` + `message_channel` let a re-run update the
-- message it posted instead of posting again. No credential is ever stored here: a webhook
-- destination is keyed by a hash of its URL.

-- one row per digest day per Slack destination
create table if not exists ops.slack_messages (
    report_date date not null,
    channel varchar not null,            -- the configured channel id, or 'webhook:<sha256 prefix>'
    mode varchar not null,               -- 'bot' (chat.postMessage) or 'webhook'
    status varchar not null,             -- 'pending', 'posted' or 'updated'
    message_channel varchar,             -- the channel id chat.postMessage returned
    ts varchar,                          -- the message's ts, for chat.update
    chart_file_id varchar,               -- the chart shared in the message's thread, once
    payload_sha256 varchar not null,     -- of the payload last sent (or waiting to be sent)
    payload json not null,               -- the Block Kit payload, redacted, for a later re-send
    attempts integer not null default 0,
    last_error varchar,                  -- one line, never a credential
    first_attempt_at timestamptz not null,
    posted_at timestamptz,
    updated_at timestamptz,
    thread_ts varchar,                   -- the ts of the lists' reply in its thread, for chat.update
    primary key (report_date, channel)
);

-- one row per file shared to a Slack channel (the weekly review pack): shared once
create table if not exists ops.slack_files (
    name varchar not null,               -- e.g. review-2026-W13.html
    channel varchar not null,
    file_id varchar not null,
    shared_at timestamptz not null,
    primary key (name, channel)
);
