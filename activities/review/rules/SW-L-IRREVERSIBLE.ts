import { objectEffects } from '../object-effects';
import type { LintRule } from './rule';

export const irreversible: LintRule = {
  id: 'SW-L-IRREVERSIBLE',
  severity: 'warning',
  explanation:
    'The step deletes data (a table, a schema, a column, rows) and the migration has no down: if the release must be rolled back, ' +
    'the only way back is a restore from backup.',
  remedy:
    'Write a down that restores the structure, and keep the data (rename the table or column, or copy it aside) ' +
    'until the release is proven; drop it in a later migration.',
  check(statements, { down }) {
    if (down && down.length > 0) return [];
    return statements.flatMap((statement) =>
      objectEffects(statement).destroys.map((what) => ({
        statement,
        object: what.slice(what.lastIndexOf(' ') + 1),
        message: `This deletes ${what} and the migration has no down migration.`,
        fix: 'Write a down that restores the structure, and keep the data (rename the table or column, or copy it aside) until the release is proven; drop it in a later migration.',
      })),
    );
  },
  examples: {
    pass: [
      { sql: 'DROP TABLE legacy', down: 'CREATE TABLE legacy (id bigint)' },
      { sql: 'CREATE TABLE t (id bigint); ALTER TABLE t ADD COLUMN a int' },
    ],
    fail: [
      {
        sql: 'DROP TABLE legacy, archive.orders',
        messages: [
          'This deletes table legacy and the migration has no down migration.',
          'This deletes table archive.orders and the migration has no down migration.',
        ],
      },
      {
        sql: "ALTER TABLE users DROP COLUMN fax; TRUNCATE audit_log; DELETE FROM sessions WHERE created_at < '2020-01-01'",
        messages: [
          'This deletes column users.fax and the migration has no down migration.',
          'This deletes rows of audit_log and the migration has no down migration.',
          'This deletes rows of sessions and the migration has no down migration.',
        ],
      },
      {
        sql: 'DROP DATABASE reports',
        messages: ['This deletes database reports and the migration has no down migration.'],
      },
      {
        sql: 'WITH gone AS (DELETE FROM events WHERE at < now() RETURNING id) SELECT count(*) FROM gone',
        messages: ['This deletes rows of events and the migration has no down migration.'],
      },
    ],
  },
};
