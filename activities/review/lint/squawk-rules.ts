/**
 * The squawk rules a review runs (squawk-cli's defaults under squawkArguments, less
 * EXCLUDED_SQUAWK_RULES), for docs/rules.md: what goes wrong and what to do, after squawk's own
 * message and help, and an example that squawk.test.ts checks still raises the rule, so the list
 * follows squawk when it is upgraded.
 */
export interface SquawkRule {
  id: string;
  problem: string;
  remedy: string;
  /** SQL that raises the rule on the newest PostgreSQL. */
  example: string;
}

export const SQUAWK_RULES: readonly SquawkRule[] = [
  {
    id: 'adding-field-with-default',
    problem:
      'Adding a column with a volatile default (or any default before PostgreSQL 11) rewrites the table under an ACCESS EXCLUSIVE lock.',
    remedy:
      'Add the column as nullable, backfill existing rows, and add a trigger to update the column on write instead.',
    example: 'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();',
  },
  {
    id: 'adding-foreign-key-constraint',
    problem:
      'Adding a foreign key constraint requires a table scan and a SHARE ROW EXCLUSIVE lock on both tables, which blocks writes to each table.',
    remedy:
      'Add NOT VALID to the constraint in one transaction and then VALIDATE the constraint in a separate transaction.',
    example: 'ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);',
  },
  {
    id: 'adding-not-nullable-field',
    problem: 'Setting a column NOT NULL blocks reads while the table is scanned.',
    remedy: 'Make the field nullable and use a CHECK constraint instead.',
    example: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
  },
  {
    id: 'adding-required-field',
    problem:
      'Adding a new column that is NOT NULL and has no default value to an existing table effectively makes it required.',
    remedy: 'Make the field nullable or add a non-VOLATILE DEFAULT.',
    example: 'ALTER TABLE t ADD COLUMN c int NOT NULL;',
  },
  {
    id: 'adding-serial-primary-key-field',
    problem:
      'Adding a primary key constraint requires an ACCESS EXCLUSIVE lock that blocks all reads and writes to the table while the primary key index is built.',
    remedy: 'Add the PRIMARY KEY constraint USING an index built concurrently.',
    example: 'ALTER TABLE t ADD COLUMN id serial PRIMARY KEY;',
  },
  {
    id: 'ban-alter-domain-with-add-constraint',
    problem: 'Domains with constraints have poor support for online migrations.',
    remedy: 'Use table and column constraints instead.',
    example: 'ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);',
  },
  {
    id: 'ban-char-field',
    problem: 'Using character is likely a mistake: it pads values with spaces.',
    remedy: 'Use text or varchar instead.',
    example: 'CREATE TABLE t (a char(10));',
  },
  {
    id: 'ban-concurrent-index-creation-in-transaction',
    problem:
      'While regular index creation can happen inside a transaction, this is not allowed when the CONCURRENTLY option is used.',
    remedy: 'Build the index outside any transaction: in a step of its own.',
    example: 'CREATE TABLE t (id bigint); CREATE INDEX CONCURRENTLY i ON t (id);',
  },
  {
    id: 'ban-create-domain-with-constraint',
    problem: 'Domains with constraints have poor support for online migrations.',
    remedy: 'Use table and column constraints instead.',
    example: 'CREATE DOMAIN d AS int CHECK (VALUE > 0);',
  },
  {
    id: 'ban-drop-column',
    problem: 'Dropping a column may break existing clients.',
    remedy: 'Stop every client from using the column first, and drop it in a later migration.',
    example: 'ALTER TABLE t DROP COLUMN a;',
  },
  {
    id: 'ban-drop-database',
    problem: 'Dropping a database may break existing clients.',
    remedy: 'Drop databases by hand, not in a migration.',
    example: 'DROP DATABASE d;',
  },
  {
    id: 'ban-drop-not-null',
    problem: 'Dropping a NOT NULL constraint may break existing clients.',
    remedy: 'Make sure every client handles NULL in the column before the migration runs.',
    example: 'ALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
  },
  {
    id: 'ban-drop-table',
    problem: 'Dropping a table may break existing clients.',
    remedy: 'Stop every client from using the table first, and drop it in a later migration.',
    example: 'DROP TABLE t;',
  },
  {
    id: 'ban-duplicate-column-assignments',
    problem: 'A statement assigns the same column more than once.',
    remedy: 'Assign each column once.',
    example: 'UPDATE t SET a = 1, a = 2;',
  },
  {
    id: 'ban-truncate-cascade',
    problem:
      'TRUNCATE ... CASCADE also truncates every table with a foreign key to the truncated ones, and theirs in turn.',
    remedy: 'Remove the CASCADE and name exactly the tables to truncate.',
    example: 'TRUNCATE t CASCADE;',
  },
  {
    id: 'ban-uncommitted-transaction',
    problem: 'A transaction is never committed or rolled back.',
    remedy: 'Add a COMMIT or ROLLBACK statement to complete the transaction.',
    example: 'BEGIN; CREATE TABLE t (id bigint);',
  },
  {
    id: 'changing-column-type',
    problem:
      'Changing a column type takes an ACCESS EXCLUSIVE lock that blocks reads and writes while the table is rewritten, and may break clients reading the column.',
    remedy: 'Change it online: add a new column, backfill it in batches, and swap it in (expand/contract).',
    example: 'ALTER TABLE t ALTER COLUMN a TYPE bigint;',
  },
  {
    id: 'constraint-missing-not-valid',
    problem: 'A new constraint requires a table scan and blocks writes to the table while that scan occurs.',
    remedy: 'Add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction.',
    example: 'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);',
  },
  {
    id: 'disallowed-unique-constraint',
    problem:
      'Adding a UNIQUE constraint takes an ACCESS EXCLUSIVE lock that blocks reads and writes while the index is built.',
    remedy: 'Create a unique index CONCURRENTLY and add the constraint USING that index.',
    example: 'ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);',
  },
  {
    id: 'identifier-too-long',
    problem: 'An identifier longer than 63 bytes is silently truncated.',
    remedy: 'Use a name of at most 63 bytes.',
    example: `CREATE TABLE t_${'a'.repeat(70)} (id bigint);`,
  },
  {
    id: 'prefer-bigint-over-int',
    problem: 'A 32-bit integer column can reach the maximum int value.',
    remedy: 'Use 64-bit integers (bigint) instead.',
    example: 'CREATE TABLE t (a int);',
  },
  {
    id: 'prefer-bigint-over-smallint',
    problem: 'A 16-bit integer column can reach the maximum smallint value.',
    remedy: 'Use 64-bit integers (bigint) instead.',
    example: 'CREATE TABLE t (a smallint);',
  },
  {
    id: 'prefer-identity',
    problem: 'Serial types make schema, dependency, and permission management difficult.',
    remedy: 'Use an IDENTITY column instead.',
    example: 'CREATE TABLE t (id serial);',
  },
  {
    id: 'prefer-text-field',
    problem:
      'Changing the size of a varchar column later takes an ACCESS EXCLUSIVE lock that blocks all reads and writes.',
    remedy: 'Use text with a CHECK constraint on the length.',
    example: 'CREATE TABLE t (a varchar(10));',
  },
  {
    id: 'prefer-timestamp-tz',
    problem:
      'A timestamp column drops the UTC offset: instants written from different zones are stored as the same wall-clock reading.',
    remedy: 'Use timestamptz instead of timestamp.',
    example: 'CREATE TABLE t (a timestamp);',
  },
  {
    id: 'renaming-column',
    problem: 'Renaming a column may break existing clients.',
    remedy:
      'Add the new column, move clients to it, and drop the old one later; or rename together with a client release.',
    example: 'ALTER TABLE t RENAME COLUMN a TO b;',
  },
  {
    id: 'renaming-table',
    problem: 'Renaming a table may break existing clients.',
    remedy: 'Leave a view under the old name until every client has moved, or rename together with a client release.',
    example: 'ALTER TABLE t RENAME TO u;',
  },
  {
    id: 'require-concurrent-index-creation',
    problem: 'During normal index creation, table updates are blocked, but reads are still allowed.',
    remedy: 'Use CONCURRENTLY to avoid blocking writes.',
    example: 'CREATE INDEX i ON t (a);',
  },
  {
    id: 'require-concurrent-index-deletion',
    problem:
      'A normal DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, blocking other accesses until the drop completes.',
    remedy: 'Drop the index CONCURRENTLY.',
    example: 'DROP INDEX i;',
  },
  {
    id: 'require-concurrent-partition-detach',
    problem: 'Detaching a partition takes an ACCESS EXCLUSIVE lock, which blocks reads and writes to the table.',
    remedy: 'Detach the partition CONCURRENTLY.',
    example: 'ALTER TABLE t DETACH PARTITION p;',
  },
  {
    id: 'require-concurrent-reindex',
    problem: 'Reindexing a table or index without CONCURRENTLY blocks reads and writes.',
    remedy: 'Use CONCURRENTLY to avoid blocking reads and writes.',
    example: 'REINDEX INDEX i;',
  },
  {
    id: 'require-enum-value-ordering',
    problem:
      'ADD VALUE without BEFORE or AFTER appends the value to the end of the enum, which may give an unexpected ordering.',
    remedy: 'Add BEFORE or AFTER to place the new enum value.',
    example: "ALTER TYPE e ADD VALUE 'x';",
  },
  {
    id: 'transaction-nesting',
    problem:
      'The migration opens or ends a transaction, but the runner already runs each group of transactional steps in one.',
    remedy: 'Leave out BEGIN and COMMIT: the runner manages transactions.',
    example: 'BEGIN; CREATE TABLE t (id bigint); COMMIT;',
  },
];
