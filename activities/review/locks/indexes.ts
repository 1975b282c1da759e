import { droppedObjects, relationName, statementOf } from '../../../postgres/ast';
import { resolveSize, type LockContext, type StatementLockModel, type TableWork } from './model';

/** CREATE INDEX: SHARE (blocks writes, not reads) for the whole build; CONCURRENTLY: SHARE UPDATE EXCLUSIVE, blocks nothing. */
export const createIndexWork: StatementLockModel = (statement) => {
  const stmt = statementOf(statement, 'IndexStmt');
  const table = relationName(stmt?.relation);
  if (!table) return [];
  return stmt?.concurrent
    ? [
        {
          table,
          lock: 'SHARE UPDATE EXCLUSIVE',
          concurrentBuilds: 1,
          notes: ['CONCURRENTLY: two passes over the table, reads and writes go on'],
        },
      ]
    : [{ table, lock: 'SHARE', indexBuilds: 1, notes: ['writes wait for the whole build'] }];
};

/** The table an index belongs to, when the catalog knows the index. */
function tableOfIndex(index: string, context: LockContext): string | undefined {
  // An index lives in its table's schema: resolved like a table name (exact, `public.`, unique unqualified).
  const tables = new Map<string, string>(
    (context.catalog?.tables ?? []).flatMap((t) =>
      t.indexes.map((i): [string, string] => [`${t.schema}.${i.name}`, `${t.schema}.${t.name}`]),
    ),
  );
  return tables.get(
    resolveSize(index, Object.fromEntries([...tables.keys()].map((key) => [key, { rows: 0, bytes: 0 }]))).table,
  );
}

/** DROP INDEX: ACCESS EXCLUSIVE on its table, briefly; CONCURRENTLY: SHARE UPDATE EXCLUSIVE. */
export const dropIndexWork: StatementLockModel = (statement, context) => {
  const concurrent = statementOf(statement, 'DropStmt')?.concurrent;
  return droppedObjects(statement).map(
    (index): TableWork => ({
      table: tableOfIndex(index, context) ?? `table of ${index}`,
      lock: concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
    }),
  );
};

/** REINDEX: SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the index itself; CONCURRENTLY blocks nothing (PostgreSQL 12+). */
export const reindexWork: StatementLockModel = (statement, context) => {
  const stmt = statementOf(statement, 'ReindexStmt');
  const concurrent = JSON.stringify(stmt?.params ?? []).includes('"concurrently"');
  const named = relationName(stmt?.relation);
  if (!named) return [];
  const table = stmt?.kind === 'REINDEX_OBJECT_INDEX' ? (tableOfIndex(named, context) ?? `table of ${named}`) : named;
  return concurrent
    ? [{ table, lock: 'SHARE UPDATE EXCLUSIVE', concurrentBuilds: 1 }]
    : [
        {
          table,
          lock: 'SHARE',
          indexBuilds: 1,
          notes: ['queries using the index also wait: it is locked ACCESS EXCLUSIVE'],
        },
      ];
};
