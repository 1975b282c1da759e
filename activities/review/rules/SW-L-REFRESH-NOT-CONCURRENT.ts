import { relationName, statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const refreshNotConcurrent: LintRule = {
  id: 'SW-L-REFRESH-NOT-CONCURRENT',
  severity: 'warning',
  explanation:
    'REFRESH MATERIALIZED VIEW without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the view for the whole refresh: every read of it waits.',
  remedy:
    'Use REFRESH MATERIALIZED VIEW CONCURRENTLY, which needs a UNIQUE index on the view without a WHERE clause; ' +
    'readers keep the old contents until it commits.',
  check(statements) {
    return statements.flatMap((statement) => {
      const stmt = statementOf(statement, 'RefreshMatViewStmt');
      if (!stmt || stmt.concurrent || stmt.skipData) return [];
      const view = relationName(stmt.relation) ?? '?';
      return [
        {
          statement,
          object: view,
          message: `REFRESH MATERIALIZED VIEW ${view} blocks every read of the view until the refresh ends.`,
          fix: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}; (needs a UNIQUE index on the view without WHERE clause)`,
        },
      ];
    });
  },
  examples: {
    pass: [
      { sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY stats' },
      { sql: 'REFRESH MATERIALIZED VIEW stats WITH NO DATA' },
    ],
    fail: [
      {
        sql: 'REFRESH MATERIALIZED VIEW report.stats',
        messages: ['REFRESH MATERIALIZED VIEW report.stats blocks every read of the view until the refresh ends.'],
      },
    ],
  },
};
