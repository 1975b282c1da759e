import type { Catalog, Table } from '../../../postgres/introspection';
import type { ParsedStatement } from '../../../postgres/parse';
import type { PgVersion } from '../../../postgres/pg-version';
import type { TableSizes } from '../review';

/**
 * The table-level lock modes of PostgreSQL, weakest first (the order of the conflict table in the
 * "Explicit Locking" chapter of the manual).
 */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** What ordinary traffic (SELECT takes ACCESS SHARE, INSERT/UPDATE/DELETE take ROW EXCLUSIVE) waits for while the lock is held. */
export type Blocks = 'reads+writes' | 'writes' | 'nothing';

export function blocksOf(lock: LockMode): Blocks {
  if (lock === 'ACCESS EXCLUSIVE') return 'reads+writes';
  if (lock === 'EXCLUSIVE' || lock === 'SHARE ROW EXCLUSIVE' || lock === 'SHARE') return 'writes';
  return 'nothing';
}

export function strongest(a: LockMode, b: LockMode): LockMode {
  return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}

/**
 * Throughput assumptions behind every estimate: a mid-size server on SSD with the table not in
 * cache, one backend doing the work (maintenance_work_mem large enough to sort in few passes).
 * Real figures vary by 3x either way; the estimates rank risks, they do not schedule windows.
 * - a sequential scan (SET NOT NULL, CHECK or FK validation) reads 200 MB/s;
 * - a rewrite (ALTER TYPE, volatile default, VACUUM FULL, CLUSTER) reads, writes, WAL-logs and
 *   rebuilds every index: 50 MB/s of the table's total size;
 * - an index build scans the heap (200 MB/s) and sorts 1 million rows/s;
 * - CONCURRENTLY builds scan the heap twice and wait for older transactions: 2.5x a plain build,
 *   without blocking reads or writes;
 * - UPDATE or DELETE writes 100,000 rows/s (new row versions, WAL, index entries).
 */
export const THROUGHPUT = {
  scanBytesPerSecond: 200e6,
  rewriteBytesPerSecond: 50e6,
  sortRowsPerSecond: 1e6,
  concurrentBuildFactor: 2.5,
  rowWritesPerSecond: 100e3,
} as const;

export interface LockContext {
  pgVersion: PgVersion;
  /** Rows and bytes per `schema.table`; absent tables have unknown sizes. */
  tableSizes?: TableSizes;
  /** The target's catalog: column types (is a type change binary-coercible?) and constraints. */
  catalog?: Catalog;
}

/** The lock one statement takes on one table, and what it costs. */
export interface LockImpact {
  /** `schema.table` when the sizes or the catalog know it, else as written. */
  table: string;
  lock: LockMode;
  /** The table is copied: every row rewritten, every index rebuilt. */
  rewrites: boolean;
  /** The table is read in full while the lock is held (a validation or an index build). */
  scans: boolean;
  rows: number | null;
  bytes: number | null;
  /** Estimated duration of the work on this table; null when its size is unknown and it matters. */
  seconds: number | null;
  /** How long `blocks` is blocked: `seconds` when the lock blocks traffic, 0 otherwise. */
  blockingSeconds: number | null;
  blocks: Blocks;
  /** Why: the assumptions and version rules that decided the figures. */
  notes: string[];
}

/** The work a statement does on one table, before sizes turn it into seconds. */
export interface TableWork {
  table: string;
  lock: LockMode;
  rewrites?: boolean;
  /** Full scans while the lock is held (SET NOT NULL, CHECK, FK validation of this table). */
  scans?: number;
  /** Indexes built (plain). */
  indexBuilds?: number;
  /** Indexes built CONCURRENTLY: long, but blocking nothing. */
  concurrentBuilds?: number;
  /** Rows written by UPDATE/DELETE: 'all' or unknown ('some'). Row locks block writers of those rows. */
  rowWrites?: 'all' | 'some';
  /** The lock is held as long as another table's work lasts (the referenced table of a foreign key). */
  heldFor?: string;
  /** What traffic waits, when the relation's traffic is not ordinary (nothing writes to a materialized view). */
  blocks?: Blocks;
  notes?: string[];
}

export interface ResolvedSize {
  table: string;
  rows: number | null;
  bytes: number | null;
}

/** Finds a table's size by its written name: exact key, then `public.`, then a unique unqualified match. */
export function resolveSize(written: string, sizes: TableSizes | undefined): ResolvedSize {
  const unknown = { table: written.includes('.') ? written : `public.${written}`, rows: null, bytes: null };
  if (!sizes) return unknown;
  const direct = sizes[written] ?? (written.includes('.') ? undefined : sizes[`public.${written}`]);
  if (direct) return { table: sizes[written] ? written : `public.${written}`, ...direct };
  const bare = written.slice(written.lastIndexOf('.') + 1);
  const matches = written.includes('.')
    ? []
    : Object.keys(sizes).filter((key) => key.slice(key.lastIndexOf('.') + 1) === bare);
  return matches.length === 1 ? { table: matches[0]!, ...sizes[matches[0]!]! } : unknown;
}

/** The catalog's table for a written name, matched like sizes (exact, `public.`, unique unqualified). */
export function catalogTable(catalog: Catalog | undefined, written: string): Table | undefined {
  const tables = catalog?.tables ?? [];
  const key = resolveSize(
    written,
    Object.fromEntries(tables.map((t) => [`${t.schema}.${t.name}`, { rows: 0, bytes: 0 }])),
  ).table;
  return tables.find((t) => `${t.schema}.${t.name}` === key);
}

function workSeconds(work: TableWork, size: ResolvedSize): number | null {
  const catalogOnly = !work.rewrites && !work.scans && !work.indexBuilds && !work.concurrentBuilds && !work.rowWrites;
  if (catalogOnly) return 0;
  if (size.rows === null || size.bytes === null) return null;
  const scan = size.bytes / THROUGHPUT.scanBytesPerSecond;
  const build = scan + size.rows / THROUGHPUT.sortRowsPerSecond;
  let seconds = work.rewrites ? size.bytes / THROUGHPUT.rewriteBytesPerSecond : (work.scans ?? 0) * scan;
  seconds += (work.indexBuilds ?? 0) * build + (work.concurrentBuilds ?? 0) * build * THROUGHPUT.concurrentBuildFactor;
  if (work.rowWrites === 'all') seconds += size.rows / THROUGHPUT.rowWritesPerSecond;
  return seconds;
}

/** Turns per-table work into impacts; a table whose lock is held for another's work gets that duration. */
export function impactsOf(works: TableWork[], sizes: TableSizes | undefined): LockImpact[] {
  const sized = works.map((work) => ({ work, size: resolveSize(work.table, sizes) }));
  const own = sized.map(({ work, size }) => workSeconds(work, size));
  return sized.map(({ work, size }, i) => {
    const heldFor = work.heldFor === undefined ? -1 : works.findIndex((w) => w.table === work.heldFor && !w.heldFor);
    const seconds = heldFor >= 0 ? own[heldFor]! : own[i]!;
    const blocks: Blocks =
      work.blocks ?? (work.rowWrites === 'all' && blocksOf(work.lock) === 'nothing' ? 'writes' : blocksOf(work.lock));
    return {
      table: size.table,
      lock: work.lock,
      rewrites: Boolean(work.rewrites),
      scans: Boolean(work.rewrites || work.scans || work.indexBuilds || work.concurrentBuilds || work.rowWrites),
      rows: size.rows,
      bytes: size.bytes,
      seconds: seconds === null ? null : round(seconds),
      blockingSeconds: blocks === 'nothing' ? 0 : seconds === null ? null : round(seconds),
      blocks,
      notes: work.notes ?? [],
    };
  });
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

/** One statement kind's model: the work it does on each table it locks. */
export type StatementLockModel = (statement: ParsedStatement, context: LockContext) => TableWork[];

/**
 * Table sizes from an introspected catalog: the larger of the planner's estimate and the live tuple
 * count (reltuples is -1 before the first VACUUM or ANALYZE), and the total bytes. A partitioned
 * table stores nothing itself (0 bytes, reltuples -1 until ANALYZE counts its tree): it is as large
 * as its partitions together, or a DROP of it would look like a DROP of an empty table.
 */
export function tableSizesOf(catalog: Catalog): TableSizes {
  const key = (t: Table) => `${t.schema}.${t.name}`;
  const partitions = new Map<string, Table[]>();
  for (const t of catalog.tables)
    if (t.partitionOf) partitions.set(t.partitionOf.parent, [...(partitions.get(t.partitionOf.parent) ?? []), t]);
  // Partitions may be partitioned in turn: their size is their own partitions'.
  const sizeOf = (t: Table): { rows: number; bytes: number } =>
    t.partitioning
      ? (partitions.get(key(t)) ?? [])
          .map(sizeOf)
          .reduce((sum, p) => ({ rows: sum.rows + p.rows, bytes: sum.bytes + p.bytes }), { rows: 0, bytes: 0 })
      : { rows: Math.max(t.stats.rowEstimate ?? 0, t.stats.liveTuples, 0), bytes: t.stats.totalBytes };
  return Object.fromEntries(catalog.tables.map((t) => [key(t), sizeOf(t)]));
}
