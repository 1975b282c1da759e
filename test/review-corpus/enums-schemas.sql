-- case: rename an enum value
-- expect: SW-L-RENAME-ENUM-VALUE
ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';

-- case: add an enum value at the end
-- expect: require-enum-value-ordering
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic';

-- case: add an enum value before another
-- expect: none
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm' BEFORE 'happy';

-- case: rename a qualified enum value
-- expect: SW-L-RENAME-ENUM-VALUE
ALTER TYPE app.status RENAME VALUE 'active' TO 'enabled';

-- case: rename the enum type itself is not a value rename
-- expect: none
ALTER TYPE mood RENAME TO feeling;

-- case: create an enum
-- expect: none
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');

-- case: rename a schema
-- expect: SW-L-RENAME-SCHEMA
ALTER SCHEMA billing RENAME TO invoicing;

-- case: create a schema
-- expect: none
CREATE SCHEMA IF NOT EXISTS billing;

-- case: change a schema owner
-- expect: SW-L-PRIVILEGED
ALTER SCHEMA billing OWNER TO billing_owner;

-- case: rename a table
-- expect: renaming-table
ALTER TABLE accounts RENAME TO users;

-- case: rename a column
-- expect: renaming-column
ALTER TABLE users RENAME COLUMN name TO full_name;

-- case: rename schema and enum value together
-- expect: SW-L-RENAME-SCHEMA, SW-L-RENAME-ENUM-VALUE
ALTER SCHEMA old_app RENAME TO app;
ALTER TYPE app.mood RENAME VALUE 'meh' TO 'ok';
