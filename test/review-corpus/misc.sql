-- case: create a well-formed table
-- expect: none
CREATE TABLE IF NOT EXISTS invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, issued_at timestamptz NOT NULL DEFAULT now(), total numeric(12, 2) NOT NULL, notes text);

-- case: create table with int and varchar
-- expect: prefer-bigint-over-int, prefer-text-field
CREATE TABLE IF NOT EXISTS legacy (id int PRIMARY KEY, code varchar(10));

-- case: create table with a serial key
-- expect: prefer-bigint-over-int, prefer-identity
CREATE TABLE IF NOT EXISTS things (id serial PRIMARY KEY);

-- case: create table with timestamp and json
-- expect: SW-L-JSON, prefer-timestamp-tz
CREATE TABLE IF NOT EXISTS logs (id bigint PRIMARY KEY, at timestamp NOT NULL, data json);

-- case: drop database
-- expect: SW-L-PRIVILEGED, SW-L-IRREVERSIBLE, ban-drop-database
DROP DATABASE staging;

-- case: create a function
-- expect: none
CREATE OR REPLACE FUNCTION add_one(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';

-- case: create a trigger
-- expect: none
CREATE TRIGGER touch_users BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();

-- case: create an extension
-- expect: none
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- case: comment on a table
-- expect: none
COMMENT ON TABLE users IS 'people who sign in';

-- case: grant select
-- expect: none
GRANT SELECT ON users TO reporting;

-- case: insert seed rows
-- expect: none
INSERT INTO plans (id, name) VALUES (1, 'free'), (2, 'pro') ON CONFLICT (id) DO NOTHING;

-- case: vacuum runs outside a transaction
-- expect: none
VACUUM ANALYZE users;

-- case: set a lock timeout in the file is harmless
-- expect: none
SET lock_timeout = '2s';

-- case: create a sequence
-- expect: none
CREATE SEQUENCE IF NOT EXISTS ticket_numbers START 1000;

-- case: a full expand step: nullable column, batched backfill, concurrent index later
-- expect: none
ALTER TABLE orders ADD COLUMN IF NOT EXISTS total_cents bigint;
UPDATE orders SET total_cents = (total * 100)::bigint WHERE id IN (SELECT id FROM orders WHERE total_cents IS NULL LIMIT 5000);

-- case: several problems at once
-- expect: SW-L-JSON, SW-L-REFRESH-NOT-CONCURRENT, SW-L-UNBOUNDED-UPDATE, require-concurrent-index-creation
ALTER TABLE orders ADD COLUMN IF NOT EXISTS extra json;
UPDATE orders SET extra = '{}';
CREATE INDEX IF NOT EXISTS orders_extra ON orders (id);
REFRESH MATERIALIZED VIEW order_stats;

-- case: alter table set logged
-- expect: none
ALTER TABLE imports SET LOGGED;

-- case: create a partitioned table
-- expect: none
CREATE TABLE IF NOT EXISTS measurements (id bigint NOT NULL, taken_at timestamptz NOT NULL) PARTITION BY RANGE (taken_at);

-- case: attach a partition
-- expect: none
ALTER TABLE measurements ATTACH PARTITION measurements_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

-- case: create a composite type with json
-- expect: none
CREATE TYPE envelope AS (headers json, body text);
