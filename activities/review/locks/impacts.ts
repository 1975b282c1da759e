import type { ObjectType } from '@pgsql/types';
import { alterTableCommands, relationName, statementOf } from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
import { alterTableWork, provenNotNullColumns } from './alter-table';
import { clusterWork, refreshWork, vacuumWork } from './maintenance';
import { rowWritesWork, truncateWork } from './data';
import { createTableWork, createTriggerWork, dropRelationWork, renameWork } from './ddl';
import { createIndexWork, dropIndexWork, reindexWork } from './indexes';
import {
  catalogTable,
  impactsOf,
  resolveSize,
  type LockContext,
  type LockImpact,
  type StatementLockModel,
} from './model';

const TABLE_DROPS = new Set<ObjectType | undefined>([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

function modelOf(statement: ParsedStatement, proven: ReadonlySet<string>): StatementLockModel | undefined {
  switch (statement.kind) {
    case 'AlterTableStmt':
      return statementOf(statement, 'AlterTableStmt')?.objtype === 'OBJECT_INDEX' ? undefined : alterTableWork(proven);
    case 'IndexStmt':
      return createIndexWork;
    case 'DropStmt': {
      const type = statementOf(statement, 'DropStmt')?.removeType;
      return type === 'OBJECT_INDEX' ? dropIndexWork : TABLE_DROPS.has(type) ? dropRelationWork : undefined;
    }
    case 'ReindexStmt':
      return reindexWork;
    case 'VacuumStmt':
      return vacuumWork;
    case 'ClusterStmt':
      return clusterWork;
    case 'RefreshMatViewStmt':
      return refreshWork;
    case 'UpdateStmt':
    case 'DeleteStmt':
      return rowWritesWork;
    case 'TruncateStmt':
      return truncateWork;
    case 'RenameStmt':
      return renameWork;
    case 'CreateTrigStmt':
      return createTriggerWork;
    case 'CreateStmt':
      return createTableWork;
    default:
      return undefined;
  }
}

/** The locks one statement takes on existing tables, with what each costs given the target's sizes. */
export function lockImpactOf(statement: ParsedStatement, context: LockContext): LockImpact[] {
  return lockImpactsOf([statement], context)[0]!;
}

/**
 * The locks of a migration's statements in order. Order matters: a table created earlier in the
 * migration is empty (its size in the target, if any, is of no concern), and a validated
 * CHECK (c IS NOT NULL) lets a later SET NOT NULL skip its scan.
 */
export function lockImpactsOf(statements: ParsedStatement[], context: LockContext): LockImpact[][] {
  const sizes = { ...context.tableSizes };
  const proven = new Set<string>();
  const pendingChecks = new Map<string, string>();
  return statements.map((statement) => {
    const model = modelOf(statement, proven);
    const impacts = model ? impactsOf(model(statement, { ...context, tableSizes: sizes }), sizes) : [];
    const createTable = statementOf(statement, 'CreateStmt');
    const createAs = statementOf(statement, 'CreateTableAsStmt');
    const created = relationName(createTable?.relation ?? createAs?.into?.rel);
    if (created) {
      // IF NOT EXISTS on a table the target has creates nothing: the table keeps its rows.
      const exists =
        Boolean((createTable ?? createAs)?.if_not_exists) &&
        (resolveSize(created, sizes).rows !== null || catalogTable(context.catalog, created) !== undefined);
      if (!exists) sizes[resolveSize(created, sizes).table] = { rows: 0, bytes: 0 };
    }
    const alter = statementOf(statement, 'AlterTableStmt');
    if (alter)
      for (const column of provenNotNullColumns(
        relationName(alter.relation),
        alterTableCommands(statement),
        pendingChecks,
      ))
        proven.add(column);
    // A proven column keeps its CHECK under a new name (expand/contract renames the new column into place).
    const renamed = statementOf(statement, 'RenameStmt');
    if (renamed?.renameType === 'OBJECT_COLUMN') {
      const table = relationName(renamed.relation);
      if (proven.has(`${table}.${renamed.subname}`)) proven.add(`${table}.${renamed.newname}`);
    }
    return impacts;
  });
}
