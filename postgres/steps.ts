import type { Migration, MigrationStep } from '../artifacts/migration';
import { migrationName, migrationVersion, type MigrationFile } from '../artifacts/migration-files';
import { alterTableCommands, body, nodeOf } from './ast';
import { parseStatements, type ParsedStatement } from './parse';
import { DEFAULT_PG_VERSION, type PgVersion } from './pg-version';

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
      return params.includes('"concurrently"')
        ? 'REINDEX CONCURRENTLY cannot run inside a transaction block'
        : undefined;
    case 'VacuumStmt':
      return stmt.is_vacuumcmd ? 'VACUUM cannot run inside a transaction block' : undefined;
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return `${statement.kind.replace(/Stmt$/, '')} cannot run inside a transaction block`;
    case 'AlterEnumStmt':
      return pgVersion.major < 12 && stmt.oldVal === undefined
        ? 'ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12'
        : undefined;
    default:
      return undefined;
  }
}

/** The statement with its semicolon: on a line of its own when the text ends in a `--` comment, which would swallow it. */
export function terminated(statement: ParsedStatement): string {
  return /--[^\n]*$/.test(statement.sql) ? `${statement.sql}\n;` : `${statement.sql};`;
}

/** Statements the runner runs together: in one transaction, or alone outside any. */
export interface StatementGroup {
  transactional: boolean;
  statements: ParsedStatement[];
}

/**
 * The migration as written, cut the way the runner runs it: consecutive statements that may share a
 * transaction form one group; each statement that may not is alone. A file its tool runs outside a
 * transaction (goose NO TRANSACTION and the like) has every statement alone. The file's own BEGIN /
 * COMMIT are left out (see ownTransactionControl), and a VALIDATE CONSTRAINT starts a new transaction
 * after the ADD CONSTRAINT ... NOT VALID it validates: in one transaction the ADD's lock would be held
 * through the validating scan, which is what NOT VALID is written to avoid.
 */
export function statementGroups(
  statements: ParsedStatement[],
  pgVersion: PgVersion,
  outsideTransaction = false,
): StatementGroup[] {
  const groups: StatementGroup[] = [];
  let group: ParsedStatement[] = [];
  const flush = () => {
    if (group.length > 0) groups.push({ transactional: true, statements: group });
    group = [];
  };
  for (const statement of statements.filter((s) => !ownTransactionControl(s))) {
    if (outsideTransaction || nonTransactionalReason(statement, pgVersion)) {
      flush();
      groups.push({ transactional: false, statements: [statement] });
    } else {
      if (validatesAddedInGroup(statement, group)) flush();
      group.push(statement);
    }
  }
  flush();
  return groups;
}

/**
 * A file's own BEGIN / COMMIT: the runner gives each transactional step its transaction (with its
 * history row in it), and a COMMIT inside would end that early. Files that COMMIT before a
 * CONCURRENTLY statement and BEGIN after it get the same cut from the steps as written.
 */
function ownTransactionControl(statement: ParsedStatement): boolean {
  return (
    statement.kind === 'TransactionStmt' &&
    ['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT'].includes(String(body(statement).kind))
  );
}

/** True when the statement validates a constraint that a statement of the group adds NOT VALID. */
function validatesAddedInGroup(statement: ParsedStatement, group: ParsedStatement[]): boolean {
  const validated = alterTableCommands(statement)
    .filter((cmd) => cmd.subtype === 'AT_ValidateConstraint')
    .map((cmd) => cmd.name);
  if (validated.length === 0) return false;
  return group.some((earlier) =>
    alterTableCommands(earlier).some((cmd) => {
      const constraint = nodeOf(cmd.def, 'Constraint');
      return (
        cmd.subtype === 'AT_AddConstraint' && constraint?.skip_validation && validated.includes(constraint.conname)
      );
    }),
  );
}

/** The migration as written, cut into the steps the runner applies (see statementGroups). */
export function stepsAsWritten(
  name: string,
  statements: ParsedStatement[],
  pgVersion: PgVersion,
  outsideTransaction = false,
): MigrationStep[] {
  return statementGroups(statements, pgVersion, outsideTransaction).map((group, index) => ({
    kind: group.transactional ? 'transactional' : 'non-transactional',
    name: `${name}#${index + 1}`,
    sql: group.transactional ? group.statements.map(terminated).join('\n') : group.statements[0]!.sql,
  }));
}

/** SQL cut into the steps the runner applies: a CONCURRENTLY statement becomes a non-transactional step of its own. */
export async function stepsOfSql(
  name: string,
  sql: string,
  pgVersion: PgVersion,
  file?: string,
  outsideTransaction = false,
): Promise<MigrationStep[]> {
  return stepsAsWritten(name, await parseStatements(sql, file), pgVersion, outsideTransaction);
}

/**
 * Migration files as the runner applies them: each file one migration, cut into steps as written,
 * its down kept whole (revertMigrations cuts it the same way when it runs).
 */
export async function migrationsFromFiles(
  files: MigrationFile[],
  pgVersion: PgVersion = DEFAULT_PG_VERSION,
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of files) {
    const name = migrationName(file.path);
    migrations.push({
      version: migrationVersion(file.path),
      name,
      steps: await stepsOfSql(name, file.up, pgVersion, file.path, file.upOutsideTransaction),
      up: file.up,
      ...(file.down !== undefined ? { down: file.down } : {}),
      ...(/^R__/.test(name) ? { repeatable: true } : {}),
      ...(file.upOutsideTransaction ? { upOutsideTransaction: true } : {}),
      source: file.path,
    });
  }
  const seen = new Map<string, string>();
  for (const migration of migrations) {
    const other = seen.get(migration.version);
    if (other)
      throw new Error(
        `${other} and ${migration.source} have the same version ${migration.version}: give each migration its own version.`,
      );
    seen.set(migration.version, migration.source as string);
  }
  return migrations;
}
