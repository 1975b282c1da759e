import type { Catalog } from '../../postgres/introspection';
import type { StepKind } from '../../artifacts/migration';
import { formatSeconds, stepLocks, tableSizesOf, totalBlockingSeconds, type Blocks, type LockMode } from './locks';
import { strongest } from './locks/model';
import { migrationName, type MigrationFile } from '../../artifacts/migration-files';
import { loadParser, parseStatements } from '../../postgres/parse';
import { DEFAULT_PG_VERSION, formatPgVersion, parsePgVersion } from '../../postgres/pg-version';
import type { TableSizes } from './review';
import { stepsAsWritten } from '../../postgres/steps';

export interface PlannedLock {
  table: string;
  lock: LockMode;
  blocks: Blocks;
  rewrites: boolean;
  scans: boolean;
  rows: number | null;
  bytes: number | null;
}

export interface PlannedStep {
  name: string;
  kind: StepKind;
  transactional: boolean;
  sql: string;
  /** The strongest lock per table the step takes. */
  locks: PlannedLock[];
  blocks: Blocks;
  /** null when a table's size is unknown (no target) and the lock blocks traffic. */
  blockingSeconds: number | null;
}

export interface MigrationPlan {
  path: string;
  steps: PlannedStep[];
  blockingSeconds: number | null;
}

export interface Plan {
  pgVersion: string;
  /** Whether table sizes were known (a target was read). */
  sized: boolean;
  migrations: MigrationPlan[];
}

const BLOCKS_RANK: Record<Blocks, number> = { nothing: 0, writes: 1, 'reads+writes': 2 };

export interface PlanOptions {
  /** `16`, `14.2`; the catalog's server version wins when a catalog is given. */
  pgVersion?: string;
  catalog?: Catalog;
  tableSizes?: TableSizes;
}

/** The migrations as the runner will apply them, step by step, each with its locks and estimated blocking time. */
export async function planMigrations(files: MigrationFile[], options: PlanOptions = {}): Promise<Plan> {
  const version = options.catalog?.meta.serverVersion ?? options.pgVersion;
  const pgVersion = version ? parsePgVersion(version) : DEFAULT_PG_VERSION;
  const tableSizes = options.tableSizes ?? (options.catalog ? tableSizesOf(options.catalog) : undefined);
  await loadParser();
  const stepsOfFiles = await Promise.all(
    files.map(async (file) =>
      stepsAsWritten(
        migrationName(file.path),
        await parseStatements(file.up, file.path),
        pgVersion,
        file.upOutsideTransaction,
      ),
    ),
  );
  // One pass over the files in order, as the review's lock engine does: a table an earlier file creates is empty in a later one.
  const allLocks = stepLocks(stepsOfFiles.flat(), { pgVersion, tableSizes, catalog: options.catalog });
  const migrations: MigrationPlan[] = [];
  let offset = 0;
  for (const [i, file] of files.entries()) {
    const locks = allLocks.slice(offset, (offset += stepsOfFiles[i]!.length));
    migrations.push({
      path: file.path,
      blockingSeconds: totalBlockingSeconds(locks),
      steps: locks.map(({ step, impacts, blocks, blockingSeconds }) => {
        const byTable = new Map<string, PlannedLock>();
        for (const impact of impacts.flat()) {
          const seen = byTable.get(impact.table);
          byTable.set(impact.table, {
            table: impact.table,
            lock: seen ? strongest(seen.lock, impact.lock) : impact.lock,
            blocks: seen && BLOCKS_RANK[seen.blocks] > BLOCKS_RANK[impact.blocks] ? seen.blocks : impact.blocks,
            rewrites: Boolean(seen?.rewrites || impact.rewrites),
            scans: Boolean(seen?.scans || impact.scans),
            rows: impact.rows,
            bytes: impact.bytes,
          });
        }
        return {
          name: step.name,
          kind: step.kind,
          transactional: step.kind === 'transactional',
          sql: step.sql,
          locks: [...byTable.values()],
          blocks,
          blockingSeconds,
        };
      }),
    });
  }
  return { pgVersion: formatPgVersion(pgVersion), sized: tableSizes !== undefined, migrations };
}

export type PlanFormat = 'text' | 'json';

export function renderPlan(plan: Plan, format: PlanFormat): string {
  if (format === 'json') return JSON.stringify(plan, null, 2);
  const lines = [
    `Plan for PostgreSQL ${plan.pgVersion}${plan.sized ? ", with the target's table sizes" : ' (no target: blocking times of size-dependent work are unknown)'}`,
  ];
  const seconds = (s: number | null) => (s === null ? 'unknown' : formatSeconds(s));
  for (const migration of plan.migrations) {
    lines.push('', `${migration.path}  (blocking ${seconds(migration.blockingSeconds)})`);
    migration.steps.forEach((step, i) => {
      // Every statement, whole: a step's locks are those of all its statements, not of the first one.
      lines.push(
        `  ${i + 1}. ${step.name}  ${step.kind}`,
        ...step.sql
          .trim()
          .split('\n')
          .map((line) => `       ${line}`),
      );
      for (const lock of step.locks) {
        const work = [lock.rewrites && 'rewrites', !lock.rewrites && lock.scans && 'scans'].filter(Boolean).join(', ');
        lines.push(`       takes ${lock.lock} on ${lock.table}${work ? ` (${work})` : ''}: blocks ${lock.blocks}`);
      }
      lines.push(
        `       blocking: ${step.blocks === 'nothing' ? 'none' : `${step.blocks}, ${seconds(step.blockingSeconds)}`}`,
      );
    });
  }
  return lines.join('\n');
}
