import { Client } from 'pg';
import type { MigrationStep } from '../../artifacts/migration';
import { LOCK_MODES, type LockMode } from '../../activities/review/locks';
import { waitFor } from '../../stack/wait';

/** What one step did to the tables that existed before it, as PostgreSQL shows it. */
export interface StepMeasure {
  step: MigrationStep;
  /** The strongest lock the step held on each table (`schema.table`), from pg_locks. */
  locks: Record<string, LockMode>;
  /** Tables and indexes (`schema.name`) given a new storage file: rewritten or rebuilt. */
  rewritten: string[];
  /** Rows the step read from each table it read (its transaction's own counters); transactional steps only. */
  rowsRead: Record<string, number>;
}

interface Relation {
  oid: number;
  name: string;
  kind: string;
  node: string;
}

/** `AccessExclusiveLock` → `ACCESS EXCLUSIVE`. */
const lockMode = (mode: string) =>
  mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase() as LockMode;

async function relations(client: Client): Promise<Relation[]> {
  const { rows } = await client.query<Relation>(
    `SELECT c.oid::int AS oid, n.nspname || '.' || c.relname AS name, c.relkind::text AS kind, c.relfilenode::text AS node
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
  );
  return rows;
}

function strongestByTable(held: { oid: number; mode: string }[], before: Relation[]): Record<string, LockMode> {
  const locks: Record<string, LockMode> = {};
  for (const { oid, mode } of held) {
    const table = before.find((r) => r.oid === oid && r.kind !== 'i');
    if (!table) continue;
    const named = lockMode(mode);
    const current = locks[table.name];
    if (!current || LOCK_MODES.indexOf(named) > LOCK_MODES.indexOf(current)) locks[table.name] = named;
  }
  return locks;
}

/** Rows sequential scans returned from each table, as the backend counts them (pending its next report). */
async function rowsReturned(client: Client, tables: Relation[]): Promise<Map<number, number>> {
  const { rows } = await client.query<{ oid: number; n: string }>(
    'SELECT o AS oid, pg_stat_get_xact_tuples_returned(o::oid)::text AS n FROM unnest($1::int[]) o',
    [tables.map((t) => t.oid)],
  );
  return new Map(rows.map((r) => [r.oid, Number(r.n)]));
}

/**
 * Relations with a new storage file under the same name: rewritten (a table) or rebuilt (an index,
 * which ALTER TYPE and REINDEX CONCURRENTLY make anew under its old name). Dropped ones are not counted.
 */
function rewrittenSince(before: Relation[], after: Relation[]): string[] {
  return before
    .filter((b) => after.some((a) => a.name === b.name && a.node !== '0' && a.node !== b.node))
    .map((b) => b.name)
    .sort();
}

/**
 * Applies steps as the runner does (a transactional step in one transaction, a non-transactional one
 * alone, a backfill batch by batch until no row changes) and measures each. A transactional step's
 * locks are read from pg_locks for its own backend before it commits. A non-transactional step
 * (CREATE INDEX CONCURRENTLY) cannot be paused from inside, so a second session holds every table
 * ACCESS EXCLUSIVE while it starts and reads the lock it waits for, then lets it go.
 */
export async function applyMeasured(client: Client, url: string, steps: MigrationStep[]): Promise<StepMeasure[]> {
  const measures: StepMeasure[] = [];
  const { rows: own } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = own[0]!.pid;
  for (const step of steps) {
    const before = await relations(client);
    const tables = before.filter((r) => r.kind !== 'i');
    if (step.kind === 'non-transactional') {
      const blocker = new Client({ connectionString: url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(`LOCK TABLE ${tables.map((t) => t.name).join(', ')} IN ACCESS EXCLUSIVE MODE`);
        const running = client.query(step.sql);
        const waiting = await waitFor(`${step.sql} to wait for its table lock`, async () => {
          const { rows } = await blocker.query<{ oid: number; mode: string }>(
            'SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = $1 AND NOT granted AND relation IS NOT NULL',
            [pid],
          );
          return rows.length > 0 ? rows : undefined;
        });
        await blocker.query('ROLLBACK');
        await running;
        measures.push({
          step,
          locks: strongestByTable(waiting, before),
          rewritten: rewrittenSince(before, await relations(client)),
          rowsRead: {},
        });
      } finally {
        await blocker.end();
      }
      continue;
    }
    const measure: StepMeasure = { step, locks: {}, rewritten: [], rowsRead: {} };
    for (;;) {
      await client.query('BEGIN');
      // The counters include what earlier transactions read and the backend has not yet reported:
      // the difference across the step, inside its transaction, is the step's own.
      const readBefore = await rowsReturned(client, tables);
      const result =
        step.kind === 'backfill' ? await client.query(step.sql, [step.batchSize]) : await client.query(step.sql);
      const { rows: held } = await client.query<{ oid: number; mode: string }>(
        'SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation IS NOT NULL',
      );
      const readAfter = await rowsReturned(client, tables);
      await client.query('COMMIT');
      for (const [table, lock] of Object.entries(strongestByTable(held, before))) {
        const current = measure.locks[table];
        if (!current || LOCK_MODES.indexOf(lock) > LOCK_MODES.indexOf(current)) measure.locks[table] = lock;
      }
      for (const table of tables) {
        const read = (readAfter.get(table.oid) ?? 0) - (readBefore.get(table.oid) ?? 0);
        if (read > 0) measure.rowsRead[table.name] = (measure.rowsRead[table.name] ?? 0) + read;
      }
      if (step.kind !== 'backfill' || (result.rowCount ?? 0) === 0) break;
    }
    measure.rewritten = rewrittenSince(before, await relations(client));
    measures.push(measure);
  }
  return measures;
}
