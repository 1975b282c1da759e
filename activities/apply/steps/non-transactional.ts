import { body, isObject, names } from '../../../postgres/ast';
import { quoteIdent } from '../../../postgres/names';
import { parseStatements } from '../../../postgres/parse';
import { recordStep } from '../history';
import type { ClientBase } from 'pg';
import type { StepKindRunner } from './step-kind';

interface ConcurrentIndex {
  index: string;
  /** The table, quoted for to_regclass. */
  table: string;
}

/** The index a `CREATE INDEX CONCURRENTLY name ON table` builds; undefined for other statements. */
async function concurrentIndexOf(sql: string): Promise<ConcurrentIndex | undefined> {
  const [statement] = await parseStatements(sql);
  if (statement?.kind !== 'IndexStmt') return undefined;
  const stmt = body(statement) as {
    concurrent?: boolean;
    idxname?: string;
    relation?: { schemaname?: string; relname: string };
  };
  if (!stmt.concurrent || !stmt.idxname || !stmt.relation) return undefined;
  const table = [stmt.relation.schemaname, stmt.relation.relname]
    .filter((p): p is string => Boolean(p))
    .map(quoteIdent)
    .join('.');
  return { index: stmt.idxname, table };
}

/** The index a `DROP INDEX CONCURRENTLY name` removes, quoted for to_regclass; undefined for other statements. */
async function concurrentDropOf(sql: string): Promise<string | undefined> {
  const [statement] = await parseStatements(sql);
  if (statement?.kind !== 'DropStmt') return undefined;
  const stmt = body(statement) as { concurrent?: boolean; removeType?: string; objects?: unknown[] };
  const [object] = stmt.objects ?? [];
  if (!stmt.concurrent || stmt.removeType !== 'OBJECT_INDEX' || !isObject(object) || !isObject(object.List))
    return undefined;
  return names(object.List.items).map(quoteIdent).join('.');
}

/** 'valid', 'invalid' (a killed or failed CONCURRENTLY build), or undefined when there is no such index. */
async function indexState(
  client: ClientBase,
  target: ConcurrentIndex,
): Promise<{ name: string; valid: boolean } | undefined> {
  const { rows } = await client.query<{ name: string; valid: boolean }>(
    `SELECT c.oid::regclass::text AS name, i.indisvalid AND i.indisready AS valid
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2))`,
    [target.index, target.table],
  );
  return rows[0];
}

/**
 * non-transactional: one statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY and
 * the like), alone. Its history row says `running` before and `applied` after, so a crash between
 * the two is seen on resume, and the retry starts from what the database really holds: a
 * CONCURRENTLY build that died leaves an INVALID index, which is dropped and built again; one that
 * finished is recorded, not built twice.
 */
export const nonTransactionalStep: StepKindRunner = {
  kind: 'non-transactional',
  explanation:
    'A statement PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, ...). It runs alone; what an interrupted run left behind is found in the catalog before it runs again, so a retry never reports an INVALID index as done.',
  examples: [
    {
      setup:
        'CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz); INSERT INTO orders SELECT g, now() FROM generate_series(1, 100) g',
      step: {
        kind: 'non-transactional',
        name: 'index-placed-at',
        sql: 'CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at)',
        undo: 'DROP INDEX CONCURRENTLY orders_placed_at_idx',
      },
      check: `SELECT indisvalid AS ok FROM pg_index WHERE indexrelid = to_regclass('orders_placed_at_idx')`,
      undone: `SELECT to_regclass('orders_placed_at_idx') IS NULL AS ok`,
    },
  ],

  plan: (step) => ({
    step: step.name,
    kind: 'non-transactional',
    runsInTransaction: false,
    how: 'runs alone, outside a transaction, under lock_timeout; its history row is written before (running) and after (applied)',
    onRetry:
      'an INVALID index left by an interrupted CONCURRENTLY build is dropped (CONCURRENTLY) and built again; a finished build is recorded, not repeated; an index an interrupted DROP INDEX CONCURRENTLY already removed is recorded as dropped',
  }),

  async apply({ session, step, record }) {
    const startedAt = new Date();
    await recordStep(session.client, { ...record, startedAt, status: 'running' });
    await session.client.query(step.sql);
    await recordStep(session.client, { ...record, startedAt, status: 'applied' });
    return {};
  },

  async verify({ session, step }) {
    const index = await concurrentIndexOf(step.sql);
    if (!index) return undefined;
    const state = await indexState(session.client, index);
    if (!state) return `index ${index.index} does not exist after its build`;
    return state.valid
      ? undefined
      : `index ${state.name} is INVALID after its build: it is not used by queries and slows writes`;
  },

  async undo({ session, step, record }) {
    if (!step.undo) throw new Error(`step ${step.name} has no undo`);
    const startedAt = new Date();
    await session.client.query(step.undo);
    await recordStep(session.client, { ...record, startedAt, status: 'undone' });
  },

  async makeRetrySafe({ session, step }) {
    // A drop that finished before the crash: running it again would fail on the missing index.
    const dropped = await concurrentDropOf(step.sql);
    if (dropped) {
      const exists = (
        await session.client.query<{ name: string | null }>('SELECT to_regclass($1)::text AS name', [dropped])
      ).rows[0]!.name;
      return exists
        ? { done: false }
        : {
            done: true,
            detail: `index ${dropped} was dropped by the interrupted attempt; recorded, not dropped again`,
          };
    }
    const index = await concurrentIndexOf(step.sql);
    if (!index) return { done: false };
    const state = await indexState(session.client, index);
    if (!state) return { done: false };
    if (state.valid)
      return { done: true, detail: `index ${state.name} was built by the interrupted attempt; recorded, not rebuilt` };
    await session.client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${state.name}`);
    return {
      done: false,
      detail: `dropped INVALID index ${state.name} left by an interrupted build; building it again`,
    };
  },

  async leftBehind({ client, step, status }) {
    if (status === 'applied' || status === 'undone') return undefined;
    const dropped = await concurrentDropOf(step.sql);
    if (dropped) {
      const exists = (await client.query<{ name: string | null }>('SELECT to_regclass($1)::text AS name', [dropped]))
        .rows[0]!.name;
      return exists
        ? undefined
        : { what: `index ${dropped} is already dropped, not yet recorded`, retry: 'records it, not dropping it again' };
    }
    const index = await concurrentIndexOf(step.sql);
    const state = index && (await indexState(client, index));
    if (!state) return undefined;
    return state.valid
      ? {
          what: `index ${state.name} is built and valid, not yet recorded`,
          retry: 'records it without building it again',
        }
      : {
          what: `index ${state.name} is INVALID (pg_index.indisvalid is false): queries do not use it, writes still maintain it`,
          retry: 'drops it (DROP INDEX CONCURRENTLY) and builds it again',
        };
  },
};
