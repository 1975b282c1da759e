-- case: drop table with no down
-- expect: SW-L-IRREVERSIBLE, ban-drop-table
DROP TABLE legacy_orders;

-- case: drop table with a down
-- expect: ban-drop-table
-- down: CREATE TABLE legacy_orders (id bigint PRIMARY KEY);
DROP TABLE legacy_orders;

-- case: drop column with no down
-- expect: SW-L-IRREVERSIBLE, ban-drop-column
ALTER TABLE users DROP COLUMN fax;

-- case: drop column with a down
-- expect: ban-drop-column
-- down: ALTER TABLE users ADD COLUMN fax text;
ALTER TABLE users DROP COLUMN fax;

-- case: truncate with no down
-- expect: SW-L-IRREVERSIBLE
TRUNCATE audit_log;

-- case: truncate cascade with no down
-- expect: SW-L-IRREVERSIBLE, ban-truncate-cascade
TRUNCATE audit_log CASCADE;

-- case: drop schema with no down
-- expect: SW-L-IRREVERSIBLE
DROP SCHEMA legacy CASCADE;

-- case: drop index is not data loss
-- expect: require-concurrent-index-deletion
DROP INDEX IF EXISTS users_fax;

-- case: drop index concurrently
-- expect: none
DROP INDEX CONCURRENTLY IF EXISTS users_fax;

-- case: drop view is not data loss
-- expect: none
DROP VIEW IF EXISTS user_summary;

-- case: an empty down counts as no down
-- expect: SW-L-IRREVERSIBLE, ban-drop-table
-- down: -- nothing to do
DROP TABLE legacy_orders;

-- case: drop table if exists with no down
-- expect: SW-L-IRREVERSIBLE, ban-drop-table
DROP TABLE IF EXISTS legacy_orders;

-- case: create only, no down needed
-- expect: none
CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body text NOT NULL);
