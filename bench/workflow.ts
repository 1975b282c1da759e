/**
 * bench:workflow. Prints figures, asserts nothing.
 * (a) from a decision (the `decide` Update) to the migration applied and verified, p50/p95 over
 *     BENCH_REQUESTS (default 100) requests, beside the floor: a workflow that only waits for one
 *     Update, on the same server;
 * (b) kickoff → first question raised, p50/p95 over BENCH_KICKOFFS (default 10) requests each, for a
 *     change request and for the e-commerce design, beside the engines' own times (analysis,
 *     modeling, review run in-process on the same input);
 * (c) BENCH_PARKED (default 1000) requests parked at a gate, BENCH_PARK_CONCURRENCY (default 16) on
 *     their way at a time: time to park, worker memory (printed as soon as measured), time to decide
 *     them all (BENCH_DECIDE_CONCURRENCY at a time, default 16);
 * (d) history size per request kind: the server's measure, and the exported JSON's.
 * A count of 0 leaves that part out. The worker runs as in production, `schemawright worker` in a
 * process of its own, so the memory printed is the worker's alone.
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { createActivities } from '../activities';
import type { AnalysisOutcome, ModelingOutcome } from '../activities/contracts';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import {
  decideRequest,
  requestStatus,
  startRequest,
  workflowIdOf,
  type KickoffRequest,
  type RequestServices,
} from '../approvals/requests';
import { startMailCapture } from '../approvals/email/capture';
import { targetVariable } from '../config/targets';
import { createStorePool, ensureDatabase, migrateStore } from '../store/database';
import { waitFor } from '../stack/wait';
import type { RequestInput, RequestStatusView } from '../workflows/design-request-messages';
import { RequestPhase, RequestStatus } from '../workflows/search-attributes';
import { WORKFLOW_CACHE_SIZE } from '../workers/worker';
import { bareUpdateRoundTrips } from './support/floor';
import { percentile, startBenchStack } from './support/stack';
import { activityTimes, startBenchWorker, type BenchWorker } from './support/worker-process';
import { localActivityOf } from '../test/support/history-events';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const KICKOFFS = Number(process.env.BENCH_KICKOFFS ?? 10);
const PARKED = Number(process.env.BENCH_PARKED ?? 1000);
const PARK_CONCURRENCY = Number(process.env.BENCH_PARK_CONCURRENCY ?? 16);
/**
 * How often a parking request's search attributes are read. Part (c) reads them from the server
 * (DescribeWorkflowExecution), not by the status Query: a Query wakes an evicted request on the
 * worker, and Queries to many requests at once kept its cache churning: sdk-core 1.24 then lost a
 * workflow task of a run evicted with one buffered ("Extra buffered run should not have produced an
 * activation"), and that request's tasks timed out on the worker for ever (the stalls at 60, 100 and
 * 227 parked, polling every 5 ms and then every 200 ms).
 */
const PARK_POLL_MS = 200;
const DECIDE_CONCURRENCY = Number(process.env.BENCH_DECIDE_CONCURRENCY ?? 16);
const PATIENT = { remindEverySeconds: 86_400, rerouteAfterSeconds: 172_800, expireAfterSeconds: 604_800 };
const SPEC = readFileSync(join(__dirname, '..', 'examples', 'ecommerce.yaml'), 'utf8');

async function main(): Promise<void> {
  const stack = await startBenchStack({ temporal: true });
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const storeUrl = await ensureDatabase(stack.postgres.adminUrl, 'bench_store');
  const store = createStorePool(storeUrl);
  await migrateStore(store);
  // The worker's mail goes where `npm start` sends it: the capture that the web server runs, here in the bench.
  const mail = await startMailCapture(store, 0);
  let worker: BenchWorker | undefined;
  try {
    const targetUrl = await ensureDatabase(stack.postgres.adminUrl, 'bench_shop');
    await sql(targetUrl, 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)');
    process.env[targetVariable('bench_shop')] = targetUrl;
    // The design builds its tables in an empty target of its own.
    process.env[targetVariable('bench_design')] = await ensureDatabase(stack.postgres.adminUrl, 'bench_design');

    const taskQueue = 'bench-requests';
    const decisions = ephemeralDecisionSigner();
    worker = await startBenchWorker({
      temporalAddress: stack.temporal!.address,
      storeUrl,
      taskQueue,
      decisionKeys: decisions.publicKeys,
      smtpUrl: `smtp://127.0.0.1:${mail.port}/?ignoreTLS=true`,
      targets: Object.fromEntries(
        ['bench_shop', 'bench_design'].map((name) => [targetVariable(name), process.env[targetVariable(name)]!]),
      ),
    });
    const { policy } = worker;
    const services: RequestServices = {
      temporal: client,
      store,
      taskQueue,
      gatePolicyFor: (target, environment) => policy.gatePolicyFor(target, environment),
      timings: PATIENT,
      decisions,
    };
    const floor = REQUESTS > 0 ? await bareUpdateRoundTrips(client, nativeConnection, REQUESTS) : [];
    const sizes: Record<string, { server: number; json: number }> = {};
    console.log(`worker started: ${memoryLine(worker)}`);
    if (REQUESTS > 0) {
      const before = activityTimes(await worker.metrics());
      const { times, last } = await decisionToApplied(services, targetUrl);
      report('(a) decision → migration applied and verified', times, floor);
      const after = activityTimes(await worker.metrics());
      console.log(
        `(a) activities per request (kickoff to done), mean: ${[...after]
          .map(([name, { seconds, count }]) => {
            const was = before.get(name) ?? { seconds: 0, count: 0 };
            return `${name} ${(((seconds - was.seconds) * 1000) / REQUESTS).toFixed(1)} ms (${((count - was.count) / REQUESTS).toFixed(1)}×)`;
          })
          .join(', ')}`,
      );
      console.log(
        `(a) the last request's events after the decision (ms, server's clock): ${await decisionTimeline(services, last)}`,
      );
      sizes['change, applied'] = await historyBytes(services, last);
    }
    if (KICKOFFS > 0) {
      const change = await kickoffToQuestion(services, store, 'change', () =>
        changeOf(`ALTER TABLE orders ADD COLUMN kickoff_${Math.random().toString(36).slice(2, 8)} text;`),
      );
      const design = await kickoffToQuestion(services, store, 'e-commerce design', designOf);
      await answerAll(services, design.last);
      await until(services, design.last, (view) => view.phase === 'done', 5 * 60);
      sizes['design (e-commerce), applied'] = await historyBytes(services, design.last);
      sizes['change, parked at its gate'] = await historyBytes(services, change.last);
    }
    if (PARKED > 0) sizes['change, rejected'] = await historyBytes(services, await parked(services, worker));
    for (const [kind, bytes] of Object.entries(sizes))
      console.log(
        `(d) history of a ${kind}: ${(bytes.server / 1024).toFixed(1)} KB (server's history size; ${(bytes.json / 1024).toFixed(1)} KB as exported JSON)`,
      );
  } catch (error) {
    if (worker) console.error(`the worker's log (${worker.child.logFile}) ends with:\n${worker.child.logTail()}`);
    throw error;
  } finally {
    await worker?.stop();
    await mail.close();
    await store.end();
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

/** Each request adds one column; the clock runs from the decision until the request has applied and verified it. */
async function decisionToApplied(
  services: RequestServices,
  targetUrl: string,
): Promise<{ times: number[]; last: string }> {
  const times: number[] = [];
  let last = '';
  for (let i = 0; i < REQUESTS; i++) {
    const { requestId } = await startRequest(services, changeOf(`ALTER TABLE orders ADD COLUMN note_${i} text;`));
    await described(services, requestId, (view) => view.status === 'awaiting-approval', 5);
    // Parked, as a request is when a person decides: its question told (mailed), nothing of it running.
    await quiet(services, requestId);
    const started = performance.now();
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    // Seen on the server (the phase search attribute, upserted once the end is audited), as the floor's
    // Update is: a status Query every few ms would wake the workflow on the worker being timed.
    await described(services, requestId, (view) => view.phase === 'done', 5);
    times.push(performance.now() - started);
    const done = await requestStatus(services, requestId);
    if (done.state !== 'completed') throw new Error(`request ${requestId} ended ${done.state}: ${done.outcome}`);
    last = requestId;
    process.stderr.write(`\r  (a) ${i + 1}/${REQUESTS}`);
  }
  process.stderr.write('\n');
  const columns = await sql(
    targetUrl,
    "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'orders' AND column_name LIKE 'note_%'",
  );
  console.log(`(a) ${columns[0]!.n} columns added by ${REQUESTS} requests`);
  return { times, last };
}

/**
 * From kickoff until the first question is raised, one request at a time; then the same request's
 * analysis, modeling and review run in-process on its own input, for what the engines cost alone.
 */
async function kickoffToQuestion(
  services: RequestServices,
  store: RequestServices['store'],
  label: string,
  request: () => KickoffRequest,
): Promise<{ last: string }> {
  const times: number[] = [];
  const engines: number[] = [];
  const activities = createActivities({ store });
  let last = '';
  for (let i = 0; i < KICKOFFS; i++) {
    const started = performance.now();
    const { requestId } = await startRequest(services, request());
    await until(services, requestId, (view) => view.state === 'awaiting-approval', 5 * 60);
    times.push(performance.now() - started);
    last = requestId;

    const input = await requestInputOf(services, requestId);
    const run = new MockActivityEnvironment();
    const began = performance.now();
    const analysis: AnalysisOutcome = await run.run(() => activities.analyzeTarget(input));
    const modeling: ModelingOutcome = await run.run(() => activities.modelChange({ ...input, analysis }));
    await run.run(() => activities.reviewChange({ ...input, analysis, modeling }));
    engines.push(performance.now() - began);
    process.stderr.write(`\r  (b) ${label} ${i + 1}/${KICKOFFS}`);
  }
  process.stderr.write('\n');
  const line = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms`;
  console.log(
    `(b) kickoff → first question, ${label}: ${line(times)} | engines in-process (analysis + modeling + review): ${line(engines)} | ratio p50 ${(percentile(times, 50) / percentile(engines, 50)).toFixed(1)}×`,
  );
  return { last };
}

/** Parks the requests, prints the time and memory at once, then rejects them all, a bounded number at a time. */
async function parked(services: RequestServices, worker: BenchWorker): Promise<string> {
  const started = performance.now();
  const ids: string[] = [];
  // Requests come over time, not all in the same second: BENCH_PARK_CONCURRENCY on their way to the
  // gate at once. All at once, a thousand in flight thrash a cache sized for the parked.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, PARK_CONCURRENCY) }, async () => {
      for (let i = next++; i < PARKED; i = next++) {
        const { requestId } = await startRequest(services, changeOf(`ALTER TABLE orders ADD COLUMN parked_${i} text;`));
        ids.push(requestId);
        await described(services, requestId, (view) => view.status === 'awaiting-approval');
        process.stderr.write(
          `\r  (c) parked ${ids.length}/${PARKED}, worker RSS ${worker.memory().rssMb.toFixed(0)} MB`,
        );
      }
    }),
  );
  process.stderr.write('\n');
  const parkSeconds = (performance.now() - started) / 1000;
  console.log(
    `(c) ${PARKED} requests parked at a gate in ${parkSeconds.toFixed(1)} s (${(PARKED / parkSeconds).toFixed(1)}/s, ${PARK_CONCURRENCY} on their way at a time; analysis + modeling + review + shadow verification each)`,
  );
  console.log(`(c) worker with all parked, workflow cache ${WORKFLOW_CACHE_SIZE}: ${memoryLine(worker)}`);

  const deciding = performance.now();
  const queue = [...ids];
  let decided = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, DECIDE_CONCURRENCY) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        await decideRequest(services, id, {
          questionId: 'approve',
          optionId: 'reject',
          person: 'bob',
          channel: 'cli',
          comment: 'benchmark',
        });
        process.stderr.write(`\r  (c) decided ${++decided}/${PARKED}`);
      }
    }),
  );
  process.stderr.write('\n');
  const decidedSeconds = (performance.now() - deciding) / 1000;
  console.log(`(c) all ${PARKED} decided (reject, ${DECIDE_CONCURRENCY} at a time) in ${decidedSeconds.toFixed(1)} s`);
  for (const id of ids) await described(services, id, (view) => view.closed === 'COMPLETED');
  const endedSeconds = (performance.now() - deciding) / 1000;
  console.log(`(c) all ended (report written, audited) ${endedSeconds.toFixed(1)} s after the first decision`);
  console.log(`(c) worker with all ended: ${memoryLine(worker)}`);
  return ids[ids.length - 1]!;
}

/** The worker process's resident memory now, and the most it has held (VmHWM). */
function memoryLine(worker: BenchWorker): string {
  const { rssMb, peakMb } = worker.memory();
  return `RSS ${rssMb.toFixed(0)} MB (peak ${peakMb.toFixed(0)} MB)`;
}

function changeOf(text: string): KickoffRequest {
  return {
    kind: 'change',
    title: 'bench',
    target: 'bench_shop',
    environment: 'production',
    requester: 'rita',
    channel: 'cli',
    source: { format: 'sql', text },
  };
}

function designOf(): KickoffRequest {
  return {
    ...changeOf(SPEC),
    kind: 'design',
    title: 'e-commerce',
    target: 'bench_design',
    source: { format: 'spec', text: SPEC },
  };
}

/** What the workflow was started with, from its first event. */
async function requestInputOf(services: RequestServices, requestId: string): Promise<RequestInput> {
  const history = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).fetchHistory();
  const [payload] = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
  return JSON.parse(Buffer.from(payload!.data!).toString()) as RequestInput;
}

/** The server's measure of the history (what Temporal's limits count), and its JSON export's length. */
async function historyBytes(services: RequestServices, requestId: string): Promise<{ server: number; json: number }> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  const [{ historySize }, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
  return { server: historySize ?? Number.NaN, json: Buffer.byteLength(historyToJSON(history)) };
}

async function answerAll(services: RequestServices, requestId: string): Promise<void> {
  for (const question of (await requestStatus(services, requestId)).questions.filter((q) => q.state === 'open'))
    await decideRequest(services, requestId, {
      questionId: question.id,
      optionId: question.recommendation.optionId,
      person: 'ann',
      channel: 'cli',
    });
}

/** Waits until the server's view of a request (its status and phase search attributes, whether it closed) satisfies `done`. */
function described(
  services: RequestServices,
  requestId: string,
  done: (view: { status?: string; phase?: string; closed?: string }) => boolean,
  intervalMs = PARK_POLL_MS,
): Promise<unknown> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  return waitFor(
    `request ${requestId}`,
    async () => {
      const { status, typedSearchAttributes } = await handle.describe();
      const view = {
        status: typedSearchAttributes.get(RequestStatus),
        phase: typedSearchAttributes.get(RequestPhase),
        closed: status.name === 'RUNNING' ? undefined : status.name,
      };
      if (view.closed && view.closed !== 'COMPLETED') throw new Error(`request ${requestId} ended ${view.closed}`);
      return done(view) ? true : undefined;
    },
    { timeoutMs: 5 * 60_000, intervalMs },
  );
}

/** Waits until the server shows no activity of the request scheduled or running. */
function quiet(services: RequestServices, requestId: string): Promise<unknown> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  return waitFor(
    `request ${requestId} to have no activity under way`,
    async () => ((await handle.describe()).raw.pendingActivities?.length ? undefined : true),
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}

function until(
  services: RequestServices,
  requestId: string,
  done: (view: RequestStatusView) => boolean,
  timeoutSeconds = 120,
  intervalMs = 5,
): Promise<RequestStatusView> {
  return waitFor(
    `request ${requestId}`,
    async () => {
      const view = await requestStatus(services, requestId);
      return done(view) ? view : undefined;
    },
    { timeoutMs: timeoutSeconds * 1000, intervalMs },
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

/**
 * Where the time after the decision went, for one request: each event after the `decide` Update was
 * accepted, at the server's time, with the local activities' markers named by the activity they ran.
 */
async function decisionTimeline(services: RequestServices, requestId: string): Promise<string> {
  const history = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).fetchHistory();
  const events = history.events ?? [];
  const ms = (event: (typeof events)[number]) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6);
  const accepted = events.findIndex((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
  if (accepted < 0) return 'no decision in its history';
  // The Update is accepted by the workflow task that ran its handler: the clock starts as that task does.
  let started = accepted;
  while (started > 0 && !events[started]!.workflowTaskStartedEventAttributes) started--;
  const from = ms(events[started]!);
  return events
    .slice(started)
    .map((event) => {
      const type = (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType))
        .replace(/^EVENT_TYPE_/, '')
        .toLowerCase();
      const activity = event.activityTaskScheduledEventAttributes?.activityType?.name;
      const local = localActivityOf(event);
      return `${ms(event) - from} ${type}${activity || local ? ` ${activity ?? local}` : ''}`;
    })
    .join(', ');
}
