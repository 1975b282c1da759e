-- case: NOT VALID then VALIDATE in one file: the runner validates in a transaction of its own
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;

-- case: NOT VALID then VALIDATE inside the file's own BEGIN/COMMIT, which the runner leaves out
-- expect: none
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
COMMIT;

-- case: a file's own BEGIN/COMMIT is no transaction-nesting
-- expect: none
BEGIN;
ALTER TABLE users ADD COLUMN IF NOT EXISTS nick text;
COMMIT;

-- case: CONCURRENTLY beside another statement runs alone, outside the runner's transaction
-- expect: none
ALTER TABLE users ADD COLUMN IF NOT EXISTS nick text;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_nick ON users (nick);

-- case: a serial key added to a table the same migration creates is no change to a live table
-- expect: prefer-identity
CREATE TABLE things (name text);
ALTER TABLE things ADD COLUMN id bigserial PRIMARY KEY;

-- case: a serial key added to a table that exists already
-- expect: adding-serial-primary-key-field, prefer-identity
ALTER TABLE things ADD COLUMN id bigserial PRIMARY KEY;

-- case: a required column, an index and a unique constraint on a table the same migration creates
-- expect: none
CREATE TABLE things (id bigint PRIMARY KEY, name text);
ALTER TABLE things ADD COLUMN IF NOT EXISTS code text NOT NULL;
CREATE INDEX IF NOT EXISTS things_name ON things (name);
ALTER TABLE things ADD CONSTRAINT things_code_key UNIQUE (code);

-- case: CREATE TABLE IF NOT EXISTS may find the table there already, with rows
-- expect: adding-required-field
CREATE TABLE IF NOT EXISTS things (id bigint PRIMARY KEY, name text);
ALTER TABLE things ADD COLUMN IF NOT EXISTS code text NOT NULL;
