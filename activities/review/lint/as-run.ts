import type { Finding } from '../../../artifacts/findings';
import type { MigrationFile } from '../../../artifacts/migration-files';
import { relationName, statementOf, unqualified } from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
import type { PgVersion } from '../../../postgres/pg-version';
import { statementGroups, terminated } from '../../../postgres/steps';
import { runSquawk } from './squawk';

/**
 * squawk run on each file as schemawright's runner runs it, not as written: the file's own BEGIN and
 * COMMIT left out, each transaction the runner opens written as BEGIN ... COMMIT, statements it runs
 * alone (CREATE INDEX CONCURRENTLY, a goose NO TRANSACTION file) outside any, a VALIDATE in its own
 * transaction after the NOT VALID it validates. squawk then judges the transactions that will exist,
 * so it says nothing of `transaction-nesting` for a BEGIN the runner drops, nor of CONCURRENTLY in a
 * transaction the runner never opens. Findings point at the file as written.
 */
export interface AsRunText {
  sql: string;
  /** Maps a 1-based position in `sql` to the same place in the file as written. */
  locate: (line: number, column: number) => { line: number; column: number };
}

/** The text squawk reads: every statement on its own line of the file, the runner's BEGIN/COMMIT around each transaction. */
export function asRunText(statements: ParsedStatement[], pgVersion: PgVersion, outsideTransaction = false): AsRunText {
  let sql = '';
  let line = 1;
  let column = 1;
  // Where a statement's first line starts in `sql` and in the file; later lines of a statement keep their columns.
  const anchors: { line: number; asRun: number; written: number }[] = [];
  const write = (text: string) => {
    sql += text;
    const lines = text.split('\n');
    line += lines.length - 1;
    column = lines.length > 1 ? lines.at(-1)!.length + 1 : column + text.length;
  };
  const place = (statement: ParsedStatement, before = '') => {
    while (line < statement.location.line) write('\n');
    write(`${column > 1 ? ' ' : ''}${before}`);
    anchors.push({ line, asRun: column, written: statement.location.column });
    write(terminated(statement));
  };
  for (const group of statementGroups(statements, pgVersion, outsideTransaction)) {
    group.statements.forEach((statement, i) => place(statement, group.transactional && i === 0 ? 'BEGIN; ' : ''));
    if (group.transactional) write(' COMMIT;');
  }
  return {
    sql,
    locate: (at, col) => {
      const anchor = anchors.filter((a) => a.line === at && a.asRun <= col).at(-1);
      return { line: at, column: anchor ? col - anchor.asRun + anchor.written : col };
    },
  };
}

/**
 * squawk rules about changing a table that already holds rows and serves traffic: on a table the same
 * migration creates, nobody reads or writes it yet and it is empty, so they are noise.
 */
const EXISTING_TABLE_RULES = new Set([
  'adding-field-with-default',
  'adding-foreign-key-constraint',
  'adding-not-nullable-field',
  'adding-required-field',
  'adding-serial-primary-key-field',
  'ban-drop-column',
  'ban-drop-not-null',
  'changing-column-type',
  'constraint-missing-not-valid',
  'disallowed-unique-constraint',
  'renaming-column',
  'require-concurrent-index-creation',
]);

/** The table a statement changes, for the rules above. */
function changedTable(statement: ParsedStatement): string | undefined {
  const relation =
    statementOf(statement, 'AlterTableStmt')?.relation ??
    statementOf(statement, 'IndexStmt')?.relation ??
    statementOf(statement, 'RenameStmt')?.relation ??
    statementOf(statement, 'CreateStmt')?.relation;
  const name = relationName(relation);
  return name === undefined ? undefined : unqualified(name);
}

/** The statement a finding is in: the last one starting at or before it. */
function statementAt(statements: ParsedStatement[], finding: Finding): ParsedStatement | undefined {
  const { line = 0, column = 0 } = finding.location ?? {};
  return statements
    .filter((s) => s.location.line < line || (s.location.line === line && s.location.column <= column))
    .at(-1);
}

/** True when the finding is noise given how the runner runs the file and what the file creates. */
function isNoise(finding: Finding, statement: ParsedStatement | undefined, created: Set<string>): boolean {
  if (!statement) return false;
  // A lone CONCURRENTLY build or drop is made retry-safe by the runner (an INVALID index is dropped and built again).
  if (finding.id === 'prefer-robust-stmts' && ['IndexStmt', 'DropStmt'].includes(statement.kind)) return true;
  const table = changedTable(statement);
  return EXISTING_TABLE_RULES.has(finding.id) && table !== undefined && created.has(table);
}

/** Tables created by the statements up to and including `statement`. */
function createdUpTo(statements: ParsedStatement[], statement: ParsedStatement | undefined): Set<string> {
  const created = new Set<string>();
  for (const s of statements) {
    if (statement && s.index > statement.index) break;
    const name = relationName(statementOf(s, 'CreateStmt')?.relation);
    if (name && !statementOf(s, 'CreateStmt')?.if_not_exists) created.add(unqualified(name));
  }
  return created;
}

const AS_RUN =
  "Checked as schemawright's runner applies the file: the file's own BEGIN/COMMIT left out, one transaction per transactional step, CONCURRENTLY and the like alone outside any.";

/** squawk over files as run; findings of each file in the order given. */
export async function squawkAsRun(
  migrations: { file: MigrationFile; up: ParsedStatement[] }[],
  pgVersion: PgVersion,
): Promise<Finding[][]> {
  const texts = migrations.map(({ file, up }) => asRunText(up, pgVersion, file.upOutsideTransaction));
  const found = await runSquawk(
    migrations.map(({ file }, i) => ({ path: file.path, ...texts[i]! })),
    pgVersion,
    false,
  );
  return found.map((findings, i) => {
    const { up } = migrations[i]!;
    return findings
      .filter((finding) => {
        const statement = statementAt(up, finding);
        return !isNoise(finding, statement, createdUpTo(up, statement));
      })
      .map((finding) => ({ ...finding, why: `${finding.why} ${AS_RUN}` }));
  });
}
