import { statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const renameSchema: LintRule = {
  id: 'SW-L-RENAME-SCHEMA',
  severity: 'warning',
  explanation:
    'Renaming a schema breaks at once every query, search_path, grant script and function body that names it; ' +
    'there is no way for old and new code to run side by side.',
  remedy:
    'Keep the name; if the new one is needed, create that schema, move objects in steps and leave views in the old ' +
    'one until every client has moved.',
  check(statements) {
    return statements.flatMap((statement) => {
      const stmt = statementOf(statement, 'RenameStmt');
      if (stmt?.renameType !== 'OBJECT_SCHEMA') return [];
      const { subname: schema, newname } = stmt;
      return [
        {
          statement,
          object: schema,
          message: `Renaming schema ${schema} to ${newname} breaks every client that names ${schema}.`,
          fix: `Keep the schema name; if the new name is needed, create schema ${newname}, move objects in steps, and leave views behind in ${schema} until clients have moved.`,
        },
      ];
    });
  },
  examples: {
    pass: [{ sql: 'ALTER TABLE accounts RENAME TO users' }, { sql: 'CREATE SCHEMA billing' }],
    fail: [
      {
        sql: 'ALTER SCHEMA billing RENAME TO invoicing',
        messages: ['Renaming schema billing to invoicing breaks every client that names billing.'],
      },
    ],
  },
};
