import { relationName, statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const concurrentIndexPg14: LintRule = {
  id: 'SW-L-CONCURRENT-INDEX-PG14',
  severity: 'error',
  explanation:
    'PostgreSQL 14.0 to 14.3 can build a corrupt index with CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY when rows are ' +
    'updated during the build (fixed in 14.4): queries then silently miss rows.',
  remedy:
    'Upgrade the server to 14.4 or later first (then REINDEX the indexes built concurrently on 14.0 to 14.3), or ' +
    'build without CONCURRENTLY in a maintenance window.',
  check(statements, { pgVersion }) {
    if (pgVersion.major !== 14 || pgVersion.minor > 3) return [];
    return statements.flatMap((statement) => {
      const index = statementOf(statement, 'IndexStmt');
      const reindex = statementOf(statement, 'ReindexStmt');
      if (!index?.concurrent && !JSON.stringify(reindex?.params ?? []).includes('"concurrently"')) return [];
      const table = relationName(index?.relation ?? reindex?.relation) ?? reindex?.name ?? '?';
      return [
        {
          statement,
          object: table,
          message: `Concurrent index build on ${table} on PostgreSQL 14.${pgVersion.minor} can corrupt the index.`,
          fix: 'Upgrade the server to 14.4 or later first (then REINDEX indexes built concurrently on 14.0-14.3), or build without CONCURRENTLY in a maintenance window.',
        },
      ];
    });
  },
  examples: {
    pass: [
      { sql: 'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)', pgVersion: '14.4' },
      { sql: 'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)', pgVersion: '13.9' },
      { sql: 'CREATE INDEX orders_customer ON orders (customer_id)', pgVersion: '14.2' },
    ],
    fail: [
      {
        sql: 'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)',
        pgVersion: '14.2',
        messages: ['Concurrent index build on orders on PostgreSQL 14.2 can corrupt the index.'],
      },
      {
        sql: 'REINDEX INDEX CONCURRENTLY orders_customer',
        pgVersion: '14.0',
        messages: ['Concurrent index build on orders_customer on PostgreSQL 14.0 can corrupt the index.'],
      },
    ],
  },
};
