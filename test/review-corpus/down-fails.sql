-- case: down drops what the up added
-- expect: none
-- down: ALTER TABLE posts DROP COLUMN tag_id;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS tag_id bigint;

-- case: down drops a column with another name (squawk lints the up only)
-- expect: SW-L-DOWN-FAILS
-- down: ALTER TABLE posts DROP COLUMN tag;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS tag_id bigint;

-- case: down drops a table the up did not create
-- expect: SW-L-DOWN-FAILS
-- down: DROP TABLE tags;
CREATE TABLE IF NOT EXISTS tag (id bigint PRIMARY KEY);

-- case: down drops the table the up created
-- expect: none
-- down: DROP TABLE tags;
CREATE TABLE IF NOT EXISTS tags (id bigint PRIMARY KEY);

-- case: down alters a table the up dropped
-- expect: SW-L-DOWN-FAILS, ban-drop-table
-- down: ALTER TABLE legacy ADD COLUMN note text;
DROP TABLE legacy;

-- case: down re-creates the dropped table first
-- expect: ban-drop-table
-- down: CREATE TABLE legacy (id bigint); ALTER TABLE legacy ADD COLUMN note text;
DROP TABLE legacy;

-- case: down renames back correctly
-- expect: renaming-column
-- down: ALTER TABLE users RENAME COLUMN full_name TO name;
ALTER TABLE users RENAME COLUMN name TO full_name;

-- case: down renames the old name again
-- expect: SW-L-DOWN-FAILS, renaming-column
-- down: ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE users RENAME COLUMN name TO full_name;

-- case: down with if exists may drop what is absent
-- expect: none
-- down: DROP TABLE IF EXISTS scratch; ALTER TABLE posts DROP COLUMN IF EXISTS a;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS a bigint;

-- case: down drops an implicitly named sequence
-- expect: prefer-identity
-- down: DROP SEQUENCE items_id_seq; DROP TABLE items;
CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY);

-- case: down drops an index the up created
-- expect: none
-- down: DROP INDEX posts_created;
CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_created ON posts (created_at);

-- case: down drops an index with a typo
-- expect: SW-L-DOWN-FAILS
-- down: DROP INDEX post_created;
CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_created ON posts (created_at);

-- case: down drops an enum type the up did not create
-- expect: SW-L-DOWN-FAILS
-- down: DROP TYPE moods;
CREATE TYPE mood AS ENUM ('a', 'b');

-- case: down drops the function the up created
-- expect: none
-- down: DROP FUNCTION touch();
CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;

-- case: down renames a table back
-- expect: renaming-table
-- down: ALTER TABLE people RENAME TO persons;
ALTER TABLE persons RENAME TO people;

-- case: down drops a view the up created
-- expect: none
-- down: DROP VIEW active_users;
CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE active;

-- case: down drops a schema the up did not create
-- expect: SW-L-DOWN-FAILS
-- down: DROP SCHEMA reporting;
CREATE SCHEMA IF NOT EXISTS reports;
