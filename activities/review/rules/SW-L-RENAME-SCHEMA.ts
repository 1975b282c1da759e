import { body } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const renameSchema: LintRule = {
  id: 'SW-L-RENAME-SCHEMA',
  severity: 'warning',
  explanation:
    'Renaming a schema breaks at once every query, search_path, grant script and function body that names it; ' +
    'there is no way for old and new code to run side by side.',
  check(statements) {
    return statements.flatMap((statement) => {
      const stmt = body(statement);
      if (statement.kind !== 'RenameStmt' || stmt.renameType !== 'OBJECT_SCHEMA') return [];
      return [
        {
          statement,
          object: String(stmt.subname),
          message: `Renaming schema ${String(stmt.subname)} to ${String(stmt.newname)} breaks every client that names ${String(stmt.subname)}.`,
          fix: `Keep the schema name; if the new name is needed, create schema ${String(stmt.newname)}, move objects in steps, and leave views behind in ${String(stmt.subname)} until clients have moved.`,
        },
      ];
    });
  },
  examples: {
    pass: [{ sql: 'ALTER TABLE accounts RENAME TO users' }, { sql: 'CREATE SCHEMA billing' }],
    fail: [{ sql: 'ALTER SCHEMA billing RENAME TO invoicing', messages: ['Renaming schema billing to invoicing breaks every client that names billing.'] }],
  },
};
