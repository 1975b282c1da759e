-- case: create table with a json column
-- expect: SW-L-JSON
CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, payload json);

-- case: create table with jsonb
-- expect: none
CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, payload jsonb);

-- case: add a json column
-- expect: SW-L-JSON
ALTER TABLE events ADD COLUMN IF NOT EXISTS meta json;

-- case: add a jsonb column
-- expect: none
ALTER TABLE events ADD COLUMN IF NOT EXISTS meta jsonb;

-- case: json array column
-- expect: SW-L-JSON
CREATE TABLE IF NOT EXISTS batches (id bigint PRIMARY KEY, items json[]);

-- case: change a column type to json
-- expect: SW-L-JSON, changing-column-type
ALTER TABLE events ALTER COLUMN meta TYPE json;

-- case: change a column type to jsonb
-- expect: changing-column-type
ALTER TABLE events ALTER COLUMN meta TYPE jsonb USING meta::jsonb;

-- case: a cast to json in a query stores nothing
-- expect: none
SELECT row_to_json(e)::json FROM events e;

-- case: pg_catalog qualified json
-- expect: SW-L-JSON
CREATE TABLE IF NOT EXISTS hooks (id bigint PRIMARY KEY, body pg_catalog.json);

-- case: a user type named json in another schema
-- expect: none
CREATE TABLE IF NOT EXISTS hooks (id bigint PRIMARY KEY, body custom.json);

-- case: two json columns in one table
-- expect: SW-L-JSON
CREATE TABLE IF NOT EXISTS audit (id bigint PRIMARY KEY, old_row json, new_row json);

-- case: json in a view body is not a column definition
-- expect: none
CREATE OR REPLACE VIEW event_json AS SELECT id, payload::json AS j FROM events;
