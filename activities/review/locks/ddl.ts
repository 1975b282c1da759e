import { droppedObjects, findNodes, relationName, statementOf } from '../../../postgres/ast';
import type { StatementLockModel, TableWork } from './model';

/** DROP TABLE/VIEW/...: ACCESS EXCLUSIVE on each, catalog-only. */
export const dropRelationWork: StatementLockModel = (statement) =>
  droppedObjects(statement).map((table) => ({ table, lock: 'ACCESS EXCLUSIVE' as const }));

/** RENAME of a table or column: ACCESS EXCLUSIVE, catalog-only; renaming an index takes SHARE UPDATE EXCLUSIVE on PostgreSQL 12+. */
export const renameWork: StatementLockModel = (statement, context) => {
  const stmt = statementOf(statement, 'RenameStmt');
  const table = relationName(stmt?.relation);
  if (!table) return [];
  const light = stmt?.renameType === 'OBJECT_INDEX' && context.pgVersion.major >= 12;
  return [{ table, lock: light ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE' }];
};

/** CREATE TRIGGER: SHARE ROW EXCLUSIVE (writes wait), catalog-only. */
export const createTriggerWork: StatementLockModel = (statement) => {
  const table = relationName(statementOf(statement, 'CreateTrigStmt')?.relation);
  return table ? [{ table, lock: 'SHARE ROW EXCLUSIVE' }] : [];
};

/** CREATE TABLE ... REFERENCES: the new table is empty, but each referenced table is locked SHARE ROW EXCLUSIVE to add its trigger. */
export const createTableWork: StatementLockModel = (statement) => {
  const referenced = findNodes(statementOf(statement, 'CreateStmt')?.tableElts, 'Constraint')
    .filter((c) => c.contype === 'CONSTR_FOREIGN')
    .map((c) => relationName(c.pktable))
    .filter((t): t is string => t !== undefined);
  return [...new Set(referenced)].map((table): TableWork => ({ table, lock: 'SHARE ROW EXCLUSIVE' }));
};
