import { findNodes, relationName, statementOf } from '../../../postgres/ast';
import type { StatementLockModel, TableWork } from './model';

/** VACUUM FULL rewrites under ACCESS EXCLUSIVE; plain VACUUM and ANALYZE take SHARE UPDATE EXCLUSIVE and block nothing. */
export const vacuumWork: StatementLockModel = (statement) => {
  const stmt = statementOf(statement, 'VacuumStmt');
  const full = findNodes(stmt?.options, 'DefElem').some((d) => d.defname === 'full');
  const tables = findNodes(stmt?.rels, 'VacuumRelation').flatMap((r) =>
    r.relation ? [relationName(r.relation)!] : [],
  );
  return tables.map(
    (table): TableWork =>
      full
        ? { table, lock: 'ACCESS EXCLUSIVE', rewrites: true, notes: ['VACUUM FULL copies the table'] }
        : { table, lock: 'SHARE UPDATE EXCLUSIVE', scans: stmt?.is_vacuumcmd ? 1 : 0 },
  );
};

/** CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE. */
export const clusterWork: StatementLockModel = (statement) => {
  const table = relationName(statementOf(statement, 'ClusterStmt')?.relation);
  return table
    ? [{ table, lock: 'ACCESS EXCLUSIVE', rewrites: true, notes: ['CLUSTER copies the table in index order'] }]
    : [];
};

/**
 * REFRESH MATERIALIZED VIEW recomputes the view: ACCESS EXCLUSIVE (readers wait) unless CONCURRENTLY,
 * which takes EXCLUSIVE and diffs against the old contents. EXCLUSIVE only stops writers, and nothing
 * writes to a materialized view, so CONCURRENTLY blocks nothing.
 */
export const refreshWork: StatementLockModel = (statement) => {
  const stmt = statementOf(statement, 'RefreshMatViewStmt');
  const view = relationName(stmt?.relation);
  if (!view) return [];
  return stmt?.concurrent
    ? [
        {
          table: view,
          lock: 'EXCLUSIVE',
          rewrites: true,
          blocks: 'nothing',
          notes: ['CONCURRENTLY: readers see the old contents until it commits'],
        },
      ]
    : [{ table: view, lock: 'ACCESS EXCLUSIVE', rewrites: true, notes: ['readers wait for the whole refresh'] }];
};
