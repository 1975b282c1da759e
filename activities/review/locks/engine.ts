import type { Finding, Severity } from '../../../artifacts/findings';
import type { ReviewEngine } from '../review';
import { lockImpactsOf } from './impacts';
import { THROUGHPUT, type LockImpact } from './model';

export const LOCK_BLOCKING = 'SW-LOCK-BLOCKING';

/**
 * Severity follows impact: how long traffic waits. Under a second is what any deploy costs and is
 * not reported; a minute or more of blocked writes is an outage for most applications.
 */
export function blockingSeverity(impact: LockImpact): Severity | undefined {
  const seconds = impact.blockingSeconds;
  if (impact.blocks === 'nothing' || seconds === null || seconds < 1) return undefined;
  if (seconds >= 60) return 'error';
  if (seconds >= 10) return 'warning';
  return 'info';
}

export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

function what(impact: LockImpact): string {
  const work = impact.rewrites ? 'rewrites' : impact.scans ? 'reads' : 'holds';
  // A table a foreign key points at may be unsized: it waits as long as the table that holds the key.
  const size =
    impact.rows === null || impact.rows === undefined
      ? 'size unknown'
      : `${impact.rows.toLocaleString('en')} rows, ${formatBytes(impact.bytes ?? 0)}`;
  return `${work} ${impact.table} (${size})`;
}

const WHY =
  "While a statement holds a lock that conflicts with the application's, every query on that table queues behind it, and so do all later ones. " +
  `Estimates assume ${THROUGHPUT.scanBytesPerSecond / 1e6} MB/s scans, ${THROUGHPUT.rewriteBytesPerSecond / 1e6} MB/s rewrites, ${THROUGHPUT.sortRowsPerSecond / 1e6}M rows/s index sorts and ${THROUGHPUT.rowWritesPerSecond / 1e3}k rows/s updates.`;

const FIX =
  'Use the online form: CREATE INDEX CONCURRENTLY in its own step; constraints NOT VALID then VALIDATE; SET NOT NULL through a validated CHECK (PostgreSQL 12+); ' +
  'a type change as expand/contract (new column, batched backfill, swap). Otherwise run it in a maintenance window.';

/** The finding this engine raises, for docs/rules.md. */
export const lockBlocking = { id: LOCK_BLOCKING, explanation: WHY, remedy: FIX };

/** The lock and cost model as a review engine: a finding where a statement blocks traffic for a material time. */
export const lockEngine: ReviewEngine = {
  name: 'locks',
  review: (migrations, { pgVersion, tableSizes, catalog }) => {
    // One pass over the files in order: a table an earlier file creates is empty in a later one.
    const all = lockImpactsOf(
      migrations.flatMap((m) => m.up),
      { pgVersion, tableSizes, catalog },
    );
    let offset = 0;
    return migrations.map(({ up }) =>
      all.slice(offset, (offset += up.length)).flatMap((impacts, index) =>
        impacts.flatMap((impact): Finding[] => {
          const severity = blockingSeverity(impact);
          if (!severity) return [];
          const { table, lock, rewrites, scans, rows, bytes, blockingSeconds, blocks } = impact;
          return [
            {
              id: LOCK_BLOCKING,
              source: 'schemawright',
              severity,
              object: table,
              message: `${what(impact)} under ${lock}: ${blocks === 'reads+writes' ? 'reads and writes' : 'writes'} wait about ${formatSeconds(blockingSeconds!)}${impact.notes.length ? ` (${impact.notes.join('; ')})` : ''}.`,
              why: WHY,
              fix: FIX,
              evidence: { table, lock, rewrites, scans, rows, bytes, blockingSeconds, blocks },
              location: up[index]!.location,
            },
          ];
        }),
      ),
    );
  },
};
