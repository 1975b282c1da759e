import type { Catalog } from '../../postgres/introspection';
import type { Escalation } from '../../artifacts/escalation';
import type { Finding, Severity } from '../../artifacts/findings';
import type { MigrationStep } from '../../artifacts/migration';
import { squawkAsRun } from './lint/as-run';
import { lockEngine } from './locks/engine';
import { downPathOf, migrationName, type MigrationFile } from '../../artifacts/migration-files';
import { parseStatements, type ParsedStatement } from '../../postgres/parse';
import { DEFAULT_PG_VERSION, formatPgVersion, parsePgVersion, type PgVersion } from '../../postgres/pg-version';
import { runRules } from './rules';
import { stepsAsWritten } from '../../postgres/steps';

/** Rows and bytes of the target's tables, keyed `schema.table`, for engines that weigh impact. */
export type TableSizes = Record<string, { rows: number; bytes: number }>;

export interface ReviewInput {
  files: MigrationFile[];
  /** `16`, `14.2`, or the target's `server_version`; the newest PostgreSQL when absent. */
  pgVersion?: string;
  tableSizes?: TableSizes;
  /** The target's catalog: lets the lock model tell a binary-coercible type change from a rewrite. */
  catalog?: Catalog;
}

export interface ParsedMigrationFile {
  file: MigrationFile;
  up: ParsedStatement[];
  down?: ParsedStatement[];
}

export interface EngineContext {
  pgVersion: PgVersion;
  tableSizes?: TableSizes;
  catalog?: Catalog;
}

/**
 * One review engine: a plain function from parsed migrations to findings, one list per migration in
 * input order (squawk runs once over all files). squawk and our rules are engines; the lock and cost
 * model (activities/review/locks/) is one more.
 */
export interface ReviewEngine {
  name: string;
  review(migrations: ParsedMigrationFile[], context: EngineContext): Promise<Finding[][]> | Finding[][];
}

/** squawk over each file as the runner runs it (lint/as-run.ts). */
export const squawkEngine: ReviewEngine = {
  name: 'squawk',
  review: (migrations, { pgVersion }) => squawkAsRun(migrations, pgVersion),
};

export const rulesEngine: ReviewEngine = {
  name: 'rules',
  review: (migrations, { pgVersion, catalog }) =>
    migrations.map(({ up, down }, i) =>
      runRules(up, { pgVersion, down, catalog, earlier: migrations.slice(0, i).flatMap((m) => m.up) }),
    ),
};

export const reviewEngines: readonly ReviewEngine[] = [squawkEngine, rulesEngine, lockEngine];

export interface ReviewedFile {
  path: string;
  statements: number;
  /** The migration as the runner will apply it: a CREATE INDEX CONCURRENTLY is a non-transactional step of its own. */
  steps: MigrationStep[];
  findings: Finding[];
}

export interface ReviewReport {
  pgVersion: string;
  files: ReviewedFile[];
  /** All findings, errors first, then by file and position. */
  findings: Finding[];
  counts: Record<Severity, number>;
  /** The questions review puts to people (SW-ESC-*), when the caller raised them. */
  escalations?: Escalation[];
}

/**
 * Reviews migrations: parse (a syntax error throws SqlSyntaxError and nothing further runs), then
 * every engine over every file.
 */
export async function reviewMigration(
  input: ReviewInput,
  engines: readonly ReviewEngine[] = reviewEngines,
): Promise<ReviewReport> {
  const pgVersion = input.pgVersion ? parsePgVersion(input.pgVersion) : DEFAULT_PG_VERSION;
  const parsed: ParsedMigrationFile[] = [];
  for (const file of input.files) {
    parsed.push({
      file,
      up: await parseStatements(file.up, file.path),
      down: file.down === undefined ? undefined : await parseStatements(file.down, downPathOf(file.path)),
    });
  }
  const context: EngineContext = { pgVersion, tableSizes: input.tableSizes, catalog: input.catalog };
  const results = await Promise.all(engines.map((engine) => engine.review(parsed, context)));
  const files: ReviewedFile[] = parsed.map((migration, index) => ({
    path: migration.file.path,
    statements: migration.up.length,
    steps: stepsAsWritten(
      migrationName(migration.file.path),
      migration.up,
      pgVersion,
      migration.file.upOutsideTransaction,
    ),
    findings: sortFindings(results.flatMap((perFile) => perFile[index] ?? [])),
  }));
  return summarize(formatPgVersion(pgVersion), files);
}

/** The findings placed in one migration file: at its up SQL or its down. */
export function placedIn(path: string, findings: Finding[]): Finding[] {
  return findings.filter((f) => f.location?.file === path || f.location?.file === downPathOf(path));
}

/** The report over reviewed files; also used to add findings found later (shadow verification). */
export function summarize(pgVersion: string, files: ReviewedFile[]): ReviewReport {
  const findings = sortFindings(files.flatMap((f) => f.findings));
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return { pgVersion, files, findings, counts };
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityOrder[a.severity] - severityOrder[b.severity] ||
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0) ||
      a.id.localeCompare(b.id),
  );
}
