import type { Worker } from '@temporalio/worker';
import { Client as PgClient, type Pool } from 'pg';
import { startMailCapture, type MailCapture } from '../../approvals/email/capture';
import { startRequest, type RequestServices } from '../../approvals/requests';
import { targetVariable } from '../../config/targets';
import type { ManagedChild } from '../../stack/child-process';
import { polling, startWorkerProcess } from '../support/worker-process';
import { waitFor } from '../../stack/wait';
import { createWorker } from '../../workers/worker';
import { atGate, ended, querySql, runSql, statusWhen, testPolicy, testSigner } from '../support/requests';
import {
  connectTemporal,
  createTestDatabase,
  createTestStore,
  uniqueName,
  workflowBundle,
  type TemporalConnections,
  type TestDatabase,
} from '../support/stack';
import { approve, auditOf, historyRows } from '../support/target-lock';

const WEB_URL = 'http://approvals.stalled.test';

/**
 * A worker whose apply attempt stops heartbeating (SIGSTOP: alive, holding its session and the
 * target's apply lock, answering nothing). Temporal gives the apply to another worker; that attempt
 * ends the stalled one's session before it runs, and waits for the apply lock, which proves the old
 * attempt is gone. The step is applied once.
 */
describe('an apply attempt whose heartbeat timed out', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; db: TestDatabase; close(): Promise<void> };
  let mail: MailCapture;
  let target: TestDatabase;
  let stalled: ManagedChild | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    mail = await startMailCapture(store.pool, 0);
    target = await createTestDatabase('sw_target');
    await runSql(target.url, 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)');
    process.env[targetVariable(target.name)] = target.url;
  });
  afterAll(async () => {
    if (stalled) {
      stalled.process.kill('SIGCONT');
      await stalled.stop(5_000, 'SIGKILL');
    }
    worker?.shutdown();
    await running;
    delete process.env[targetVariable(target.name)];
    await target?.drop();
    await mail?.close();
    await store?.close();
    await temporal?.close();
  });

  it('is ended before its retry runs: the retry takes the apply lock once the old session is gone, and the step is applied once', async () => {
    const taskQueue = uniqueName('stalled');
    const services: RequestServices = {
      temporal: temporal.client,
      store: store.pool,
      taskQueue,
      gatePolicyFor: () => testPolicy(),
      timings: { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86400 },
      heartbeatSeconds: 2,
      apply: { lockTimeoutMs: 60_000, lockRetries: 0 },
      decisions: testSigner,
      policyTargets: [target.name],
    };
    stalled = startWorkerProcess({
      namespace: temporal.namespace,
      storeUrl: store.db.url,
      taskQueue,
      webUrl: WEB_URL,
      mailPort: mail.port,
      target,
    });
    await polling(stalled, 90_000);
    const { requestId } = await startRequest(services, {
      clientRequestId: uniqueName('r'),
      kind: 'change',
      title: 'add a note',
      target: target.name,
      environment: 'production',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
    });
    const asked = await statusWhen(services, requestId, 'at the gate', atGate, 90_000);

    const blocker = new PgClient({ connectionString: target.url });
    await blocker.connect();
    const sessionName = `schemawright-apply ${requestId}`;
    let oldPid: number;
    try {
      await blocker.query('BEGIN; LOCK TABLE orders IN ACCESS SHARE MODE');
      await approve(services, requestId, asked.questions[0]!.id);
      // The first attempt's step waits on the table, in its session that holds the apply lock.
      oldPid = await waitFor(
        'the first attempt waiting on orders',
        async () =>
          (
            await querySql<{ pid: number }>(
              target.url,
              "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
              [sessionName],
            )
          )[0]?.pid,
        { timeoutMs: 60_000 },
      );
      stalled!.process.kill('SIGSTOP');
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }
    // Its statement ran once the table was free; its transaction stays open, since the stalled worker sends nothing more.
    await waitFor('the stalled session idle in its transaction', async () =>
      (await querySql<{ state: string }>(target.url, 'SELECT state FROM pg_stat_activity WHERE pid = $1', [oldPid]))[0]
        ?.state === 'idle in transaction'
        ? true
        : undefined,
    );

    worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      deps: {
        store: store.pool,
        approvals: { decisionKeys: testSigner.publicKeys, gatePolicyFor: () => testPolicy() },
      },
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();

    const done = await statusWhen(services, requestId, 'done', ended, 120_000);
    expect(done.state).toBe('completed');
    // The stalled attempt's session was ended, not waited out: its transaction rolled back.
    expect(await querySql(target.url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [oldPid])).toEqual([]);
    expect(await historyRows(target.url)).toEqual([
      expect.objectContaining({ status: 'applied', request_id: requestId }),
    ]);
    expect(await auditOf(store.pool, requestId, 'step-applied')).toHaveLength(1);
    const columns = await querySql<{ column_name: string }>(
      target.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'note']);
  });
});
