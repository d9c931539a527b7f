-- applies when: select count(*) = 4 from information_schema.tables where table_catalog = current_database() and table_schema || '.' || table_name in ('raw.tickets', 'raw.events', 'ops.quarantine', 'ops.validation_results')
-- Warehouses made before rows kept their place and text in the file (line_number,
-- raw_text) and before a check's message in words: add the columns (empty for old rows).
alter table raw.tickets add column if not exists line_number bigint;
alter table raw.tickets add column if not exists raw_text varchar;
alter table raw.events add column if not exists line_number bigint;
alter table raw.events add column if not exists raw_text varchar;
alter table ops.quarantine add column if not exists line_number bigint;
alter table ops.quarantine add column if not exists raw_text varchar;
alter table ops.validation_results add column if not exists message varchar;
