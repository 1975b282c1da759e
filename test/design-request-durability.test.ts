import { Client as PgClient, type Pool } from 'pg';
import { capturedMail, startMailCapture, type MailCapture } from '../approvals/email/capture';
import { decideRequest, startRequest, type RequestServices } from '../approvals/requests';
import type { ManagedChild } from '../stack/child-process';
import { polling, startWorkerProcess } from './support/worker-process';
import { waitFor } from '../stack/wait';
import { queryAudit } from '../store/audit';
import { atGate, ended, querySql, runSql, statusWhen, testPolicy, testSigner } from './support/requests';
import {
  connectTemporal,
  createTestDatabase,
  createTestStore,
  uniqueName,
  type TemporalConnections,
  type TestDatabase,
} from './support/stack';

/**
 * A worker is a separate process here, killed with SIGKILL (no cleanup, no goodbye) at the worst
 * moments; a fresh worker must finish the request, and the target must show each step applied once.
 */
// Where the workers' mail links point: the test's own, never a web server a developer runs.
const WEB_URL = 'http://approvals.durability.test';
// Each test starts two worker processes (tsx and a workflow bundle each, most of a minute on a loaded machine).
const TWO_WORKERS_MS = 300_000;

const SETUP = `
  CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);`;
// Two transactional steps on two tables, with a non-transactional one between them.
const MIGRATION = `ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at);
ALTER TABLE invoices ADD COLUMN paid_at timestamptz;`;

describe('a request survives its worker being killed', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; db: TestDatabase; close(): Promise<void> };
  let target: TestDatabase;
  let services: RequestServices;
  let taskQueue: string;
  let mail: MailCapture;
  const workers: ManagedChild[] = [];

  function startWorker(): ManagedChild {
    const worker = startWorkerProcess({
      namespace: temporal.namespace,
      storeUrl: store.db.url,
      taskQueue,
      webUrl: WEB_URL,
      mailPort: mail.port,
      target,
    });
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    mail = await startMailCapture(store.pool, 0);
  });
  beforeEach(async () => {
    target = await createTestDatabase('sw_target');
    await runSql(target.url, SETUP);
    taskQueue = uniqueName('durable');
    services = {
      temporal: temporal.client,
      store: store.pool,
      taskQueue,
      gatePolicyFor: () => testPolicy(),
      timings: { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86400 },
      heartbeatSeconds: 2,
      decisions: testSigner,
      policyTargets: [target.name],
    };
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop(5_000, 'SIGKILL');
    await target.drop();
  });
  afterAll(async () => {
    await mail?.close();
    await store?.close();
    await temporal?.close();
  });

  async function historyRows(): Promise<{ step: string; status: string }[]> {
    return querySql(target.url, 'SELECT step, status FROM schemawright.migration_history ORDER BY started_at');
  }

  async function expectAppliedOnce(requestId: string): Promise<void> {
    const done = await statusWhen(services, requestId, 'done', ended, 120_000);
    expect(done.state).toBe('completed');
    const rows = await historyRows();
    const applied = rows.filter((r) => r.status === 'applied').map((r) => r.step);
    expect(applied).toHaveLength(3);
    expect(new Set(applied).size).toBe(3);
    const columns = await querySql<{ column_name: string }>(
      target.url,
      `SELECT column_name FROM information_schema.columns WHERE table_name IN ('orders', 'invoices') ORDER BY table_name, ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'paid_at', 'id', 'placed_at', 'note']);
    const indexes = await querySql<{ indisvalid: boolean }>(
      target.url,
      `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'orders_placed_at_idx'`,
    );
    expect(indexes).toEqual([{ indisvalid: true }]);
  }

  it(
    'killed during analysis: a new worker finishes the request',
    async () => {
      const first = startWorker();
      await polling(first);
      const { requestId } = await startRequest(services, {
        clientRequestId: uniqueName('r'),
        kind: 'change',
        title: 'durable',
        target: target.name,
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: MIGRATION },
      });
      await statusWhen(services, requestId, 'in analysis', (view) => view.phase === 'analysis');
      await first.stop(5_000, 'SIGKILL');
      await polling(startWorker());
      await statusWhen(services, requestId, 'at the gate', atGate, 120_000);
      await decideRequest(services, requestId, {
        questionId: 'approve',
        optionId: 'apply',
        person: 'ann',
        channel: 'cli',
      });
      await expectAppliedOnce(requestId);
    },
    TWO_WORKERS_MS,
  );

  it(
    'killed while waiting at a gate: the decision reaches the new worker',
    async () => {
      const first = startWorker();
      await polling(first);
      const { requestId } = await startRequest(services, {
        clientRequestId: uniqueName('r'),
        kind: 'change',
        title: 'durable',
        target: target.name,
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: MIGRATION },
      });
      await statusWhen(services, requestId, 'at the gate', atGate, 120_000);
      // The question reached the approvers through the test's own mail capture, linking to the test's own web URL.
      const question = await waitFor(
        'the question mail in the test capture',
        async () => {
          const found = (await capturedMail(store.pool, { to: 'ann@example.test' })).find((m) =>
            m.text.includes(requestId),
          );
          return found;
        },
        { timeoutMs: 60_000 },
      );
      expect(question.text).toContain(`${WEB_URL}/requests/${requestId}`);
      await first.stop(5_000, 'SIGKILL');
      await polling(startWorker());
      await decideRequest(services, requestId, {
        questionId: 'approve',
        optionId: 'apply',
        person: 'bob',
        channel: 'slack',
      });
      await expectAppliedOnce(requestId);
    },
    TWO_WORKERS_MS,
  );

  it(
    'killed in the middle of apply: each step applied exactly once',
    async () => {
      const first = startWorker();
      await polling(first);
      const { requestId } = await startRequest(services, {
        clientRequestId: uniqueName('r'),
        kind: 'change',
        title: 'durable',
        target: target.name,
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: MIGRATION },
      });
      await statusWhen(services, requestId, 'at the gate', atGate, 120_000);

      // Hold a lock on invoices so apply stops after the first steps, waiting: the moment to kill it.
      // ACCESS SHARE blocks only ALTER TABLE's ACCESS EXCLUSIVE, not the drift check's catalog reads.
      const blocker = new PgClient({ connectionString: target.url });
      await blocker.connect();
      await blocker.query('BEGIN; LOCK TABLE invoices IN ACCESS SHARE MODE');
      await decideRequest(services, requestId, {
        questionId: 'approve',
        optionId: 'apply',
        person: 'ann',
        channel: 'cli',
      });
      await waitFor(
        'apply to apply two steps and wait on the lock',
        async () => {
          const applied = (await historyRows()).filter((r) => r.status === 'applied');
          return applied.length === 2 ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
      await first.stop(5_000, 'SIGKILL');
      await blocker.query('ROLLBACK');
      await blocker.end();

      await polling(startWorker());
      await expectAppliedOnce(requestId);
      // The retried apply found what led to it (appended by the killed attempt first) in the log: once.
      const entries = await queryAudit(store.pool, { requestId });
      expect(entries.filter((e) => e.kind === 'decision')).toHaveLength(1);
      expect(entries.filter((e) => e.kind === 'phase-started' && e.data.phase === 'apply')).toHaveLength(1);
    },
    TWO_WORKERS_MS,
  );
});
