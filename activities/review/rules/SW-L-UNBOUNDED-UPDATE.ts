import { body, findNodes, type NodeOf, relationName } from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
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
    return statements.flatMap((statement) =>
      rowWrites(statement)
        .filter(({ stmt }) => !stmt.whereClause)
        .map(({ verb, stmt }) => {
          const table = relationName(stmt.relation) ?? '?';
          const where = (stmt as unknown) === body(statement) ? '' : ' in a WITH query';
          return {
            statement,
            object: table,
            message: `${verb} of ${table}${where} has no WHERE clause: it changes every row in one transaction.`,
            fix: `Run it as a batched backfill step (e.g. WHERE id IN (SELECT id FROM ${table} WHERE <not yet done> LIMIT $1)), repeated until it touches no row.`,
          };
        }),
    );
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
      {
        sql: 'WITH moved AS (DELETE FROM events RETURNING *) INSERT INTO events_archive SELECT * FROM moved',
        messages: ['DELETE of events in a WITH query has no WHERE clause: it changes every row in one transaction.'],
      },
      {
        sql: "WITH t AS (UPDATE accounts SET plan = 'free' RETURNING id) DELETE FROM sessions WHERE account_id IN (SELECT id FROM t)",
        messages: ['UPDATE of accounts in a WITH query has no WHERE clause: it changes every row in one transaction.'],
      },
    ],
  },
};

/**
 * The UPDATEs and DELETEs a data statement runs: itself, and those in its WITH queries, which change
 * rows just the same. Those in rule or function bodies run later, not in the migration.
 */
function rowWrites(statement: ParsedStatement): { verb: string; stmt: NodeOf<'UpdateStmt'> | NodeOf<'DeleteStmt'> }[] {
  if (!['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt'].includes(statement.kind)) return [];
  return [
    ...findNodes(statement.node, 'UpdateStmt').map((stmt) => ({ verb: 'UPDATE', stmt })),
    ...findNodes(statement.node, 'DeleteStmt').map((stmt) => ({ verb: 'DELETE', stmt })),
  ];
}
