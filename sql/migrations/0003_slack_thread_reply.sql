-- applies when: select count(*) = 1 from information_schema.tables t where t.table_catalog = current_database() and t.table_schema = 'ops' and t.table_name = 'slack_messages' and t.table_type = 'BASE TABLE' and not exists (select 1 from information_schema.columns c where c.table_catalog = current_database() and c.table_schema = 'ops' and c.table_name = 'slack_messages' and c.column_name = 'thread_ts')
-- The digest's lists moved into one reply in the thread of its message: the ledger keeps
-- that reply's ts, so a re-run edits it (chat.update) instead of replying again.
alter table ops.slack_messages add column if not exists thread_ts varchar;
