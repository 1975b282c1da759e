import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMigrations,
  LockContentionError,
  type ApplyOptions,
  type ApplyProgress,
  type ApplyResult,
  type ApplyTarget,
} from '../../activities/apply';
import type { Migration } from '../../artifacts/migration';
import { freePort } from '../../stack/ports';
import { waitFor } from '../../stack/wait';
import { startEmbeddedPostgres, type EmbeddedPostgresOptions, type RunningPostgres } from '../../stack/postgres';
import { appendAudit, queryAudit } from '../../store/audit';
import { databaseUrl } from '../../store/database';
import { querySql, runSql } from '../support/requests';
import { createTestDatabase, createTestStore, uniqueName, type TestStore } from '../support/stack';
import { holdStep, type HeldStep } from './held-migration';
import { startTcpProxy, throughProxy, type TcpProxy } from './tcp-proxy';

/**
 * Faults between the runner and its target, on real parts: the connection cut mid-statement (a TCP
 * proxy), the server restarted mid-apply, the applying backend terminated, a lock timeout that leaves
 * an INVALID index. Each step is held mid-way by another session (held-migration.ts) so the fault
 * lands where the test says. Afterwards: no step lost, none repeated (each step's effect counted),
 * the target's history table and the audit log (written from the runner's progress, as the apply
 * activity writes it) name the same steps once each, and the outcome says what happened.
 */
const SETUP = `
  CREATE TABLE effects (step text NOT NULL);
  CREATE TABLE fa (id int PRIMARY KEY);
  CREATE TABLE fb (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
  CREATE TABLE fc (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false);
  CREATE TABLE fd (id int PRIMARY KEY);
  INSERT INTO fb (id) SELECT generate_series(1, 50);
  INSERT INTO fc (id) SELECT generate_series(1, 50);`;

const MIGRATIONS: Migration[] = [
  {
    version: '1',
    name: 'faults',
    steps: [
      {
        kind: 'transactional',
        name: 'fa-column',
        sql: `ALTER TABLE fa ADD COLUMN note text;\nINSERT INTO effects VALUES ('fa-column');`,
      },
      { kind: 'non-transactional', name: 'fb-index', sql: 'CREATE INDEX CONCURRENTLY fb_n_idx ON fb (n)' },
      {
        kind: 'backfill',
        name: 'fc-count',
        batchSize: 20,
        sql: 'UPDATE fc SET n = n + 1, done = true WHERE id IN (SELECT id FROM fc WHERE NOT done ORDER BY id LIMIT $1)',
      },
      {
        kind: 'transactional',
        name: 'fd-column',
        sql: `ALTER TABLE fd ADD COLUMN note text;\nINSERT INTO effects VALUES ('fd-column');`,
      },
    ],
  },
  {
    version: '2',
    name: 'after',
    steps: [{ kind: 'transactional', name: 'effects-note', sql: `INSERT INTO effects VALUES ('effects-note');` }],
  },
];
const STEPS = MIGRATIONS.flatMap((m) => m.steps.map((s) => `${m.version}/${s.name}`));

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

/** The runner as the apply activity drives it: each applied step audited, in order. */
async function applyAudited(
  target: ApplyTarget,
  requestId: string,
  limits: Partial<ApplyOptions> = {},
): Promise<{ outcome: ApplyResult[] | Error; events: ApplyProgress[] }> {
  const events: ApplyProgress[] = [];
  let audits = Promise.resolve();
  const outcome = await applyMigrations(target, MIGRATIONS, {
    requestId,
    decidedBy: ['ann'],
    lockTimeoutMs: 30_000,
    reconnectWindowMs: 60_000,
    ...limits,
    onProgress: (event) => {
      events.push(event);
      if (event.status === 'applied')
        audits = audits.then(async () => {
          await appendAudit(store.pool, { kind: 'step-applied', requestId, target: target.name, data: { ...event } });
        });
    },
  }).catch((error: Error) => error);
  await audits;
  return { outcome, events };
}

/** No step lost, none repeated, history and audit log in agreement. */
async function expectEachStepOnce(url: string, requestIds: string[]): Promise<void> {
  const history = await querySql<{ step: string; status: string }>(
    url,
    `SELECT version || '/' || step AS step, status FROM schemawright.migration_history ORDER BY version, step`,
  );
  expect(history).toEqual([...STEPS].sort().map((step) => ({ step, status: 'applied' })));
  expect(await querySql(url, 'SELECT step, count(*)::int AS n FROM effects GROUP BY step ORDER BY step')).toEqual([
    { step: 'effects-note', n: 1 },
    { step: 'fa-column', n: 1 },
    { step: 'fd-column', n: 1 },
  ]);
  expect(
    await querySql(url, 'SELECT count(*)::int AS rows, count(*) FILTER (WHERE n = 1 AND done)::int AS once FROM fc'),
  ).toEqual([{ rows: 50, once: 50 }]);
  expect(
    await querySql(url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('fb_n_idx')`),
  ).toEqual([{ valid: true }]);
  const audited: string[] = [];
  for (const requestId of requestIds)
    for (const entry of await queryAudit(store.pool, { requestId }))
      if (entry.kind === 'step-applied') {
        const { version, step } = entry.data as { version: string; step: string };
        audited.push(`${version}/${step}`);
      }
  expect(audited.sort()).toEqual([...STEPS].sort());
}

const appliedCount = (outcome: ApplyResult[] | Error) =>
  outcome instanceof Error ? outcome : outcome.reduce((n, r) => n + r.applied, 0);
const reconnected = (events: ApplyProgress[]) =>
  events.some((e) => e.status === 'retrying' && e.detail?.startsWith('the connection to the target was lost'));
const appliedEvents = (events: ApplyProgress[]) =>
  events
    .filter((e) => e.status === 'applied')
    .map((e) => e.step)
    .sort();
const ALL_STEPS = ['effects-note', 'fa-column', 'fb-index', 'fc-count', 'fd-column'];

/** A fresh database set up for MIGRATIONS, and a proxy in front of it; both gone afterwards. */
async function onFreshTarget(prefix: string, body: (url: string, proxy: TcpProxy) => Promise<void>): Promise<void> {
  const db = await createTestDatabase(prefix);
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port) });
  try {
    await runSql(db.url, SETUP);
    await body(db.url, proxy);
  } finally {
    await proxy.close();
    await db.drop();
  }
}

/** A run the fault interrupted: it reconnected by itself and applied every step once. Its events, for more. */
async function expectResumed(
  url: string,
  requestId: string,
  run: ReturnType<typeof applyAudited>,
): Promise<ApplyProgress[]> {
  const { outcome, events } = await run;
  expect(appliedCount(outcome)).toBe(5);
  expect(reconnected(events)).toBe(true);
  expect(appliedEvents(events)).toEqual(ALL_STEPS);
  await expectEachStepOnce(url, [requestId]);
  return events;
}

/**
 * A run stopped by a lock timeout: its message carries `report` and not the old "nothing applied";
 * once the holder lets go, a second request applies `rest` (step names) once and in the end every step is once.
 */
async function expectStoppedThenRetried(
  url: string,
  held: HeldStep,
  limits: Partial<ApplyOptions>,
  report: string,
  rest: string[],
  onTarget: () => Promise<void>,
): Promise<void> {
  const target = { name: 'faults', connectionString: url };
  const first = uniqueName('stopped');
  const stopped = await applyAudited(target, first, limits);
  expect(stopped.outcome).toBeInstanceOf(LockContentionError);
  const message = (stopped.outcome as Error).message;
  expect(message).not.toContain('Nothing of this step was applied');
  expect(message).toContain(report);
  expect(appliedEvents(stopped.events)).toEqual(ALL_STEPS.filter((step) => !rest.includes(step)));
  // The report's facts are the target's.
  await onTarget();
  await held.release();
  const second = uniqueName('retried');
  const retried = await applyAudited(target, second);
  expect(appliedCount(retried.outcome)).toBe(rest.length);
  expect(appliedEvents(retried.events)).toEqual(rest);
  await expectEachStepOnce(url, [first, second]);
}

describe('faults between the runner and its target', () => {
  it('a connection cut mid-statement (in the second backfill batch): the runner reconnects and resumes, no row done twice', () =>
    onFreshTarget('sw_fault_cut', async (url, proxy) => {
      // Row 30 is in the second batch: the first commits, the second waits on this row lock.
      const held = await holdStep(url, 'SELECT * FROM fc WHERE id = 30 FOR UPDATE');
      const requestId = uniqueName('cut');
      const run = applyAudited({ name: 'faults', connectionString: throughProxy(url, proxy) }, requestId);
      await held.runnerWaiting('UPDATE fc');
      expect(proxy.cut()).toBeGreaterThan(0);
      await held.release();
      await expectResumed(url, requestId, run);
    }));

  it('a COMMIT that landed but whose reply was lost: the runner finds the step in the history, applied once and said once', () =>
    onFreshTarget('sw_fault_commit', async (url, proxy) => {
      // The first COMMIT on the runner's connection is fa-column's (its step and its history row).
      proxy.swallowRepliesAfter('COMMIT');
      const requestId = uniqueName('commit');
      const run = applyAudited({ name: 'faults', connectionString: throughProxy(url, proxy) }, requestId);
      await waitFor('fa-column to commit on the target', async () => {
        const rows = await querySql(
          url,
          `SELECT 1 FROM schemawright.migration_history WHERE step = 'fa-column' AND status = 'applied'`,
        ).catch(() => []);
        return rows.length > 0 || undefined;
      });
      expect(proxy.cut()).toBeGreaterThan(0);
      expect(await expectResumed(url, requestId, run)).toContainEqual(
        expect.objectContaining({
          step: 'fa-column',
          status: 'applied',
          detail: 'committed before the connection was lost (read from the history table)',
        }),
      );
    }));

  it('pg_terminate_backend of the applying session: the runner reconnects and runs the step again', () =>
    onFreshTarget('sw_fault_terminate', async (url) => {
      const held = await holdStep(url, 'LOCK TABLE fd IN ACCESS EXCLUSIVE MODE');
      const requestId = uniqueName('terminate');
      const run = applyAudited({ name: 'faults', connectionString: url }, requestId);
      const pid = await held.runnerWaiting('ALTER TABLE fd');
      await runSql(url, `SELECT pg_terminate_backend(${pid})`);
      await held.release();
      await expectResumed(url, requestId, run);
    }));

  it('the server restarted mid-build: the runner waits it out, drops the INVALID index and builds it again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'schemawright-fault-restart-'));
    chmodSync(root, 0o755); // PostgreSQL runs as the postgres account when we are root
    const options: EmbeddedPostgresOptions = {
      dataDir: join(root, 'data'),
      port: await freePort(),
      persistent: true,
      throwaway: true,
      logFile: join(root, 'postgres.log'),
    };
    let server: RunningPostgres | undefined = await startEmbeddedPostgres(options);
    try {
      const url = databaseUrl(server.adminUrl, 'faults');
      await runSql(server.adminUrl, 'CREATE DATABASE faults');
      await runSql(url, SETUP);
      // An open write: the build creates its index (INVALID) and then waits for this transaction.
      const held = await holdStep(url, 'INSERT INTO fb (id) VALUES (1000)');
      const requestId = uniqueName('restart');
      const run = applyAudited({ name: 'faults', connectionString: url }, requestId);
      await held.runnerWaiting('CREATE INDEX CONCURRENTLY');
      await server.stop();
      server = undefined;
      await held.release();
      server = await startEmbeddedPostgres(options);
      expect((await expectResumed(url, requestId, run)).map((e) => e.detail)).toContain(
        'dropped INVALID index fb_n_idx left by an interrupted build; building it again',
      );
    } finally {
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a lock timeout that leaves an INVALID index: the stop says what is applied and what is left, the retry finishes', () =>
    onFreshTarget('sw_fault_invalid', async (url) =>
      expectStoppedThenRetried(
        url,
        await holdStep(url, 'INSERT INTO fb (id) VALUES (1000)'),
        { lockTimeoutMs: 300, lockRetries: 1 },
        'On the target now (its history table and catalog): applied and in place: of 1: fa-column. ' +
          'Left behind: fb-index stopped mid-way, index fb_n_idx is INVALID (pg_index.indisvalid is false): queries do not use it, writes still maintain it. ' +
          'Not applied: fb-index, fc-count, fd-column of 1 and 1 later migration. ' +
          'A retry: skips the applied steps; for fb-index, drops it (DROP INDEX CONCURRENTLY) and builds it again; runs the rest.',
        ['effects-note', 'fb-index', 'fc-count', 'fd-column'],
        async () =>
          expect(
            await querySql(url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('fb_n_idx')`),
          ).toEqual([{ valid: false }]),
      ),
    ));

  it('a lock timeout in the middle of a backfill: the stop counts the committed batches, the retry does the rest once', () =>
    onFreshTarget('sw_fault_backfill', async (url) =>
      expectStoppedThenRetried(
        url,
        await holdStep(url, 'SELECT * FROM fc WHERE id = 30 FOR UPDATE'),
        { lockTimeoutMs: 300, lockRetries: 0 },
        'On the target now (its history table and catalog): applied and in place: of 1: fa-column, fb-index. ' +
          'Left behind: fc-count stopped mid-way, the batches committed before the stop stay (last seen: batch 1: 20 rows (20 in all)). ' +
          'Not applied: fc-count, fd-column of 1 and 1 later migration. ' +
          'A retry: skips the applied steps; for fc-count, continues with the rows still to do, none done twice; runs the rest.',
        ['effects-note', 'fc-count', 'fd-column'],
        async () =>
          expect(await querySql(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM fc')).toEqual([
            { done: 20 },
          ]),
      ),
    ));
});
