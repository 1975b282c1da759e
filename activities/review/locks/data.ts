import { findNodes, relationName, statementOf } from '../../../postgres/ast';
import type { StatementLockModel } from './model';

/**
 * UPDATE and DELETE take ROW EXCLUSIVE (no table-level conflict with traffic) but lock every row they
 * touch until commit: without WHERE that is every row, so every writer waits.
 */
export const rowWritesWork: StatementLockModel = (statement) => {
  const stmt = statementOf(statement, 'UpdateStmt') ?? statementOf(statement, 'DeleteStmt');
  const table = relationName(stmt?.relation);
  if (!stmt || !table) return [];
  return stmt.whereClause === undefined
    ? [
        {
          table,
          lock: 'ROW EXCLUSIVE',
          rowWrites: 'all',
          notes: ['no WHERE: every row is written and locked until commit'],
        },
      ]
    : [
        {
          table,
          lock: 'ROW EXCLUSIVE',
          rowWrites: 'some',
          notes: ['the rows matched are locked until commit; how many is not known statically'],
        },
      ];
};

/** TRUNCATE: ACCESS EXCLUSIVE, but no scan: the files are swapped. */
export const truncateWork: StatementLockModel = (statement) =>
  findNodes(statementOf(statement, 'TruncateStmt')?.relations, 'RangeVar').map((r) => ({
    table: relationName(r)!,
    lock: 'ACCESS EXCLUSIVE' as const,
  }));
