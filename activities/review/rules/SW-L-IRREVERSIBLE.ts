import { objectEffects } from '../object-effects';
import type { LintRule } from './rule';

export const irreversible: LintRule = {
  id: 'SW-L-IRREVERSIBLE',
  severity: 'warning',
  explanation:
    'The step deletes data (a table, a schema, a column, rows) and the migration has no down: if the release must be rolled back, ' +
    'the only way back is a restore from backup.',
  check(statements, { down }) {
    if (down && down.length > 0) return [];
    return statements
      .filter((statement) => objectEffects(statement).destroysData)
      .map((statement) => ({
        statement,
        message: `${statement.sql.split(/\s+/).slice(0, 3).join(' ')} deletes data and the migration has no down migration.`,
        fix: 'Write a down that restores the structure, and keep the data (rename the table or column, or copy it aside) until the release is proven; drop it in a later migration.',
      }));
  },
  examples: {
    pass: [
      { sql: 'DROP TABLE legacy', down: 'CREATE TABLE legacy (id bigint)' },
      { sql: 'CREATE TABLE t (id bigint); ALTER TABLE t ADD COLUMN a int' },
    ],
    fail: [
      { sql: 'DROP TABLE legacy', messages: ['DROP TABLE legacy deletes data and the migration has no down migration.'] },
      { sql: 'ALTER TABLE users DROP COLUMN fax; TRUNCATE audit_log', messages: ['ALTER TABLE users deletes data and the migration has no down migration.', 'TRUNCATE audit_log deletes data and the migration has no down migration.'] },
    ],
  },
};
