/**
 * bench:workflow — (a) from a decision (the `decide` Update) to the migration applied, p50/p95 over
 * N requests, beside the floor: a workflow that only waits for one Update, on the same server;
 * (b) M requests parked at a gate: time to park them all, worker memory, time to decide them all.
 * Prints figures, asserts nothing. BENCH_REQUESTS (default 100) and BENCH_PARKED (default 1000).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import { decideRequest, requestStatus, startRequest, type RequestServices } from '../approvals/requests';
import { targetVariable } from '../config/targets';
import { createStorePool, ensureDatabase, migrateStore } from '../store/database';
import { waitFor } from '../stack/wait';
import type { RequestStatusView } from '../workflows/design-request-messages';
import { bundleWorkflows, createWorker } from '../workers/worker';
import { bareUpdateRoundTrips } from './support/floor';
import { percentile, startBenchStack } from './support/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const PARKED = Number(process.env.BENCH_PARKED ?? 1000);
const POLICY = { approvers: ['ann', 'bob'], backupApprovers: [], admins: [], quorum: 1, separationOfDuties: true };
const PATIENT = { remindEverySeconds: 86_400, rerouteAfterSeconds: 172_800, expireAfterSeconds: 604_800 };

async function main(): Promise<void> {
  const stack = await startBenchStack({ temporal: true });
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const store = createStorePool(await ensureDatabase(stack.postgres.adminUrl, 'bench_store'));
  await migrateStore(store);
  try {
    const targetUrl = await ensureDatabase(stack.postgres.adminUrl, 'bench_shop');
    await sql(targetUrl, 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)');
    process.env[targetVariable('bench_shop')] = targetUrl;

    const taskQueue = 'bench-requests';
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { store },
      workflowBundle: await bundleWorkflows(),
      maxCachedWorkflows: PARKED + 100,
    });
    const services: RequestServices = {
      temporal: client,
      store,
      taskQueue,
      gatePolicyFor: () => POLICY,
      timings: PATIENT,
      decisions: ephemeralDecisionSigner(),
    };
    // BENCH_REQUESTS=0 or BENCH_PARKED=0 leaves that part out.
    const floor = REQUESTS > 0 ? await bareUpdateRoundTrips(client, nativeConnection, REQUESTS) : [];
    await worker.runUntil(async () => {
      if (REQUESTS > 0) report('(a) decision → migration applied', await decisionToApplied(services, targetUrl), floor);
      if (PARKED > 0) await parked(services);
    });
  } finally {
    await store.end();
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

/** Each request adds one column; the clock runs from the decision until the request has applied and verified it. */
async function decisionToApplied(services: RequestServices, targetUrl: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const { requestId } = await startRequest(services, change(`ALTER TABLE orders ADD COLUMN note_${i} text;`));
    await until(services, requestId, (view) => view.state === 'awaiting-approval');
    const started = performance.now();
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    const done = await until(services, requestId, (view) => view.phase === 'done', 10);
    times.push(performance.now() - started);
    if (done.state !== 'completed') throw new Error(`request ${requestId} ended ${done.state}: ${done.outcome}`);
    process.stderr.write(`\r  (a) ${i + 1}/${REQUESTS}`);
  }
  process.stderr.write('\n');
  const columns = await sql(
    targetUrl,
    "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'orders' AND column_name LIKE 'note_%'",
  );
  console.log(`(a) ${columns[0]!.n} columns added by ${REQUESTS} requests`);
  return times;
}

async function parked(services: RequestServices): Promise<void> {
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PARKED; i++)
    ids.push((await startRequest(services, change(`ALTER TABLE orders ADD COLUMN parked_${i} text;`))).requestId);
  for (const [i, id] of ids.entries()) {
    await until(services, id, (view) => view.state === 'awaiting-approval', 5 * 60);
    process.stderr.write(`\r  (b) parked ${i + 1}/${PARKED}`);
  }
  const parkSeconds = (performance.now() - started) / 1000;
  const rssMb = process.memoryUsage().rss / 1024 ** 2;
  const heapMb = process.memoryUsage().heapUsed / 1024 ** 2;
  const deciding = performance.now();
  await Promise.all(
    ids.map((id) =>
      decideRequest(services, id, {
        questionId: 'approve',
        optionId: 'reject',
        person: 'bob',
        channel: 'cli',
        comment: 'benchmark',
      }),
    ),
  );
  const decidedSeconds = (performance.now() - deciding) / 1000;
  for (const id of ids) await until(services, id, (view) => view.phase === 'done', 5 * 60);
  const endedSeconds = (performance.now() - deciding) / 1000;
  process.stderr.write('\n');
  console.log(
    `(b) ${PARKED} requests parked at a gate in ${parkSeconds.toFixed(1)} s (${(PARKED / parkSeconds).toFixed(1)}/s, analysis + modeling + review + shadow verification each)`,
  );
  console.log(
    `(b) worker process memory with all parked: RSS ${rssMb.toFixed(0)} MB, heap ${heapMb.toFixed(0)} MB (${((heapMb * 1024) / PARKED).toFixed(0)} KB heap per parked request)`,
  );
  console.log(
    `(b) all ${PARKED} decided (reject) in ${decidedSeconds.toFixed(1)} s; all ended (report written, audited) ${endedSeconds.toFixed(1)} s after the first decision`,
  );
}

function change(text: string) {
  return {
    kind: 'change' as const,
    title: 'bench',
    target: 'bench_shop',
    environment: 'production',
    requester: 'rita',
    channel: 'cli' as const,
    source: { format: 'sql' as const, text },
  };
}

function until(
  services: RequestServices,
  requestId: string,
  done: (view: RequestStatusView) => boolean,
  timeoutSeconds = 120,
): Promise<RequestStatusView> {
  return waitFor(
    `request ${requestId}`,
    async () => {
      const view = await requestStatus(services, requestId);
      return done(view) ? view : undefined;
    },
    { timeoutMs: timeoutSeconds * 1000, intervalMs: 5 },
  );
}

function report(what: string, times: number[], floor: number[]): void {
  const line = (label: string, values: number[]) =>
    `${label} p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms`;
  console.log(
    `${what}: ${line('schemawright', times)} | ${line('floor (one Update, nothing else)', floor)} | ratio p50 ${(percentile(times, 50) / percentile(floor, 50)).toFixed(1)}×, p95 ${(percentile(times, 95) / percentile(floor, 95)).toFixed(1)}×`,
  );
}

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
