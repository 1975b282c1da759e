import { relationName, statementOf } from '../../../postgres/ast';
import { catalogTable } from '../locks/model';
import { qualified } from '../../../postgres/names';
import { sqlOf, step, type OnlineRewrite } from './rewrite';

export const createIndexConcurrently: OnlineRewrite = {
  id: 'create-index-concurrently',
  explanation:
    'CREATE INDEX holds SHARE on the table for the whole build: every write waits. CONCURRENTLY builds it in two passes under SHARE UPDATE EXCLUSIVE; ' +
    'it cannot run in a transaction, so it is a step of its own. If it fails it leaves an invalid index: its undo drops it. Not offered for a partitioned table, which PostgreSQL cannot index concurrently.',
  rewrite(statement, context) {
    const stmt = statementOf(statement, 'IndexStmt');
    if (!stmt || stmt.concurrent) return undefined;
    // PostgreSQL refuses CONCURRENTLY on a partitioned table ("cannot create index on partitioned table ... concurrently").
    if (catalogTable(context.catalog, relationName(stmt.relation) ?? '')?.partitioning) return undefined;
    const node = { IndexStmt: { ...structuredClone(stmt), concurrent: true } };
    const schema = stmt.relation?.schemaname;
    const index =
      typeof stmt.idxname === 'string' ? qualified(schema ? `${schema}.${stmt.idxname}` : stmt.idxname) : undefined;
    return [step(context, 1, 'non-transactional', sqlOf(node), index && `DROP INDEX CONCURRENTLY IF EXISTS ${index}`)];
  },
};
