import type { MigrationStep } from '../artifacts/migration';
import { body } from './ast';
import type { ParsedStatement } from './parse';
import type { PgVersion } from './pg-version';

/**
 * Why a statement cannot run inside a transaction block, or undefined when it can. The runner wraps
 * transactional steps in a transaction, so these must become steps of their own.
 */
export function nonTransactionalReason(statement: ParsedStatement, pgVersion: PgVersion): string | undefined {
  const stmt = body(statement);
  const params = JSON.stringify(stmt.params ?? []);
  switch (statement.kind) {
    case 'IndexStmt':
      return stmt.concurrent ? 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' : undefined;
    case 'DropStmt':
      return stmt.concurrent ? 'DROP INDEX CONCURRENTLY cannot run inside a transaction block' : undefined;
    case 'ReindexStmt':
      return params.includes('"concurrently"') ? 'REINDEX CONCURRENTLY cannot run inside a transaction block' : undefined;
    case 'VacuumStmt':
      return stmt.is_vacuumcmd ? 'VACUUM cannot run inside a transaction block' : undefined;
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return `${statement.kind.replace(/Stmt$/, '')} cannot run inside a transaction block`;
    case 'AlterEnumStmt':
      return pgVersion.major < 12 && stmt.oldVal === undefined ? 'ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12' : undefined;
    default:
      return undefined;
  }
}

/** The statement with its semicolon: on a line of its own when the text ends in a `--` comment, which would swallow it. */
export function terminated(statement: ParsedStatement): string {
  return /--[^\n]*$/.test(statement.sql) ? `${statement.sql}\n;` : `${statement.sql};`;
}

/**
 * The migration as written, cut into the steps the runner applies: consecutive statements that may
 * share a transaction form one transactional step; each statement that may not is its own
 * non-transactional step.
 */
export function stepsAsWritten(name: string, statements: ParsedStatement[], pgVersion: PgVersion): MigrationStep[] {
  const steps: MigrationStep[] = [];
  let group: ParsedStatement[] = [];
  const flush = () => {
    if (group.length === 0) return;
    steps.push({ kind: 'transactional', name: `${name}#${steps.length + 1}`, sql: group.map(terminated).join('\n') });
    group = [];
  };
  for (const statement of statements) {
    if (nonTransactionalReason(statement, pgVersion)) {
      flush();
      steps.push({ kind: 'non-transactional', name: `${name}#${steps.length + 1}`, sql: statement.sql });
    } else {
      group.push(statement);
    }
  }
  flush();
  return steps;
}
