import type { Finding } from '../../artifacts/findings';
import { parseStatements, type ParsedStatement } from '../parse';
import { downPathOf } from '../../artifacts/migration-files';
import { terminated } from '../steps';
import { privilegedStatements } from './detector';

export const SHADOW_SKIPPED = 'SW-SHADOW-SKIPPED';

/** What the shadow is given of one migration (activities/review/shadow.ts `ShadowMigration`). */
interface MigrationText {
  name: string;
  up: string;
  down?: string;
  file?: string;
}

export interface SkippedStatement {
  migration: string;
  direction: 'up' | 'down';
  file?: string;
  line: number;
  sql: string;
  reasons: string[];
}

/**
 * The migrations without their privileged statements, and what was left out: the shadow runs the
 * rest. This runs before any SQL of the migrations runs, so nothing privileged ever reaches a server
 * before people approve it.
 */
export async function withoutPrivileged<M extends MigrationText>(
  migrations: M[],
): Promise<{ migrations: M[]; skipped: SkippedStatement[] }> {
  const skipped: SkippedStatement[] = [];
  const strip = async (migration: M, direction: 'up' | 'down', sql: string): Promise<string> => {
    const file = direction === 'down' && migration.file ? downPathOf(migration.file) : migration.file;
    const statements = await parseStatements(sql, file);
    const found = privilegedStatements(statements);
    if (found.length === 0) return sql;
    for (const { statement, reasons } of found) {
      skipped.push({
        migration: migration.name,
        direction,
        file,
        line: statement.location.line,
        sql: statement.sql,
        reasons,
      });
    }
    const left = new Set(found.map((f) => f.statement));
    return atTheirPlaces(statements.filter((s) => !left.has(s)));
  };
  const kept: M[] = [];
  for (const migration of migrations) {
    const up = await strip(migration, 'up', migration.up);
    const down = migration.down === undefined ? undefined : await strip(migration, 'down', migration.down);
    kept.push({ ...migration, up, ...(down === undefined ? {} : { down }) });
  }
  return { migrations: kept, skipped };
}

/** One finding per skipped statement, at its line: the review says what the verification does not cover. */
export function skippedFindings(skipped: SkippedStatement[]): Finding[] {
  return skipped.map((s) => ({
    id: SHADOW_SKIPPED,
    source: 'schemawright',
    severity: 'info',
    object: s.migration,
    message: `The shadow skipped this statement${s.direction === 'down' ? ' of the down migration' : ''}: it ${s.reasons.join('; it ')}. The verification does not cover it.`,
    why: 'A statement that needs rights beyond the database never runs before people approve, not even on the shadow (SW-ESC-PRIVILEGED).',
    evidence: { direction: s.direction, sql: s.sql, reasons: s.reasons, migration: s.migration },
    location: { file: s.file, line: s.line, column: 1 },
  }));
}

/**
 * A failure on the shadow after statements were skipped may come from their absence (a grant to a
 * role that was not created): it stays in the report, as a warning that says so.
 */
export function qualifiedBySkips(findings: Finding[], skipped: SkippedStatement[]): Finding[] {
  if (skipped.length === 0) return findings;
  return findings.map((finding) =>
    finding.severity === 'error'
      ? {
          ...finding,
          severity: 'warning',
          message: `${finding.message} The shadow had skipped ${skipped.length} privileged statement(s) (${SHADOW_SKIPPED}): this may come from their absence.`,
        }
      : finding,
  );
}

/** The statements at the lines and columns they had in the file, so a failure on the shadow points into the file. */
function atTheirPlaces(statements: ParsedStatement[]): string {
  let text = '';
  let line = 1;
  let column = 1;
  for (const statement of statements) {
    while (line < statement.location.line) {
      text += '\n';
      line += 1;
      column = 1;
    }
    const written =
      ' '.repeat(Math.max(statement.location.column - column, column > 1 ? 1 : 0)) + terminated(statement);
    const lines = written.split('\n');
    line += lines.length - 1;
    column = lines.length > 1 ? lines.at(-1)!.length + 1 : column + written.length;
    text += written;
  }
  return text;
}
