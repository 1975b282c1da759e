import { relationName, statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const unboundedUpdate: LintRule = {
  id: 'SW-L-UNBOUNDED-UPDATE',
  severity: 'warning',
  explanation:
    'An UPDATE or DELETE without WHERE touches every row in one transaction: it holds row locks on the whole table until commit, ' +
    'bloats it, and on a large table runs for minutes while writers wait.',
  remedy:
    'Add the WHERE clause that was meant, or run the change as a batched backfill step that writes a bounded number ' +
    'of rows per batch (LIMIT $1) and repeats until no row changes.',
  check(statements) {
    return statements.flatMap((statement) => {
      const stmt = statementOf(statement, 'UpdateStmt') ?? statementOf(statement, 'DeleteStmt');
      if (!stmt || stmt.whereClause) return [];
      const table = relationName(stmt.relation) ?? '?';
      const verb = statement.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
      return [
        {
          statement,
          object: table,
          message: `${verb} of ${table} has no WHERE clause: it changes every row in one transaction.`,
          fix: `Run it as a batched backfill step (e.g. WHERE id IN (SELECT id FROM ${table} WHERE <not yet done> LIMIT $1)), repeated until it touches no row.`,
        },
      ];
    });
  },
  examples: {
    pass: [
      { sql: "UPDATE accounts SET plan = 'free' WHERE plan IS NULL" },
      { sql: 'DELETE FROM sessions WHERE expires_at < now()' },
    ],
    fail: [
      {
        sql: "UPDATE accounts SET plan = 'free'",
        messages: ['UPDATE of accounts has no WHERE clause: it changes every row in one transaction.'],
      },
      {
        sql: 'DELETE FROM app.sessions',
        messages: ['DELETE of app.sessions has no WHERE clause: it changes every row in one transaction.'],
      },
    ],
  },
};
