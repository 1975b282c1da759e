-- case: plain index blocks writes
-- expect: require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS users_email ON users (email);

-- case: concurrent index alone
-- expect: none
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);

-- case: concurrent index beside other statements, which the runner runs alone outside the transaction
-- expect: none
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_lower text;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_lower ON users (email_lower);

-- case: concurrent index without if not exists, whose retry the runner makes safe
-- expect: none
CREATE INDEX CONCURRENTLY users_email ON users (email);

-- case: index on a table created in the same migration
-- expect: none
CREATE TABLE IF NOT EXISTS tokens (id bigint PRIMARY KEY, value text NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_value ON tokens (value);

-- case: unique index concurrently
-- expect: none
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);

-- case: partial index plain
-- expect: require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS orders_open ON orders (created_at) WHERE NOT closed;

-- case: gin index plain
-- expect: require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS docs_body ON docs USING gin (to_tsvector('simple', body));

-- case: drop index plain
-- expect: require-concurrent-index-deletion
DROP INDEX IF EXISTS users_email;

-- case: drop index without if exists
-- expect: require-concurrent-index-deletion
DROP INDEX users_email;

-- case: reindex concurrently on a current server
-- expect: none
REINDEX INDEX CONCURRENTLY users_email;

-- case: expression index concurrently
-- expect: none
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_lower_email ON users (lower(email));

-- case: a file's own BEGIN and COMMIT around a concurrent index, as the runner drops them
-- expect: none
BEGIN;
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_lower text;
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_lower ON users (email_lower);
BEGIN;
ALTER TABLE users ADD COLUMN IF NOT EXISTS nick text;
COMMIT;
