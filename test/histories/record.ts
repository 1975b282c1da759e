/**
 * Records one design-request history per path into test/histories/, for test/replay.test.ts:
 * `npm run record-histories` (own Temporal dev server and PostgreSQL, removed afterwards). Run it
 * when a path is added, naming only the new path (`npm run record-histories -- revert-applied`):
 * never to make a replay failure go away (that is what `patched()` is for).
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { ephemeralDecisionSigner } from '../../approvals/decision-keys';
import {
  cancelRequest,
  decideRequest,
  requestStatus,
  startRequest,
  workflowIdOf,
  type KickoffRequest,
  type RequestServices,
} from '../../approvals/requests';
import { targetVariable } from '../../config/targets';
import { waitFor } from '../../stack/wait';
import { createStorePool, ensureDatabase, migrateStore } from '../../store/database';
import type { GateTimings, RequestStatusView } from '../../workflows/design-request-messages';
import { bundleWorkflows, createWorker } from '../../workers/worker';
import { startBenchStack } from '../../bench/support/stack';
import { APPLY_LOCK_KEY } from '../../activities/apply/session';

const POLICY = {
  approvers: ['ann', 'bob'],
  backupApprovers: ['carl'],
  admins: ['ada'],
  quorum: 1,
  separationOfDuties: true,
};
const PATIENT: GateTimings = { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86_400 };
const HURRIED: GateTimings = { remindEverySeconds: 1, rerouteAfterSeconds: 2, expireAfterSeconds: 3 };
/** Stack traces in failures name files from here: saved relative, so no history carries a machine's paths. */
const REPO = `${join(__dirname, '..', '..')}/`;
/**
 * `RECORD_AS=batched` saves `design-request-batched-<path>.json` beside the histories recorded before a
 * patch, which must go on replaying: a patched path is recorded anew, never over the old one.
 */
const RECORD_AS = process.env.RECORD_AS;
const ORDERS = 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint)';

type Path = (services: RequestServices, target: { name: string; url: string }) => Promise<string>;

const paths: Record<string, Path> = {
  'change-applied': async (services, target) => {
    const id = await gate(services, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    await decideRequest(
      services,
      id,
      { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' },
      'record-click',
    );
    return id;
  },
  rejected: async (services, target) => {
    const id = await gate(services, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    await decideRequest(services, id, {
      questionId: 'approve',
      optionId: 'reject',
      person: 'ann',
      channel: 'web',
      comment: 'not now',
    });
    return id;
  },
  expired: async (services, target) =>
    gate({ ...services, timings: HURRIED }, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;')),
  cancelled: async (services, target) => {
    const id = await gate(services, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    await cancelRequest(services, id, { person: 'rita', reason: 'wrong table' });
    return id;
  },
  'drift-asked-again': async (services, target) => {
    const id = await gate(services, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    await sql(target.url, 'CREATE TABLE audit_trail (id bigint PRIMARY KEY)');
    await decideRequest(services, id, { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' });
    await approveAgain(services, id);
    return id;
  },
  'apply-stopped-then-retried': async (services, target) => {
    const hurried = { ...services, apply: { lockTimeoutMs: 100, lockRetries: 0 } };
    const id = await gate(hurried, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    const blocker = new PgClient({ connectionString: target.url });
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE orders IN ACCESS SHARE MODE');
    await decideRequest(services, id, { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' });
    await until(
      services,
      id,
      (view) => view.state === 'awaiting-approval' && view.questions[0]?.id === 'apply-stopped',
    );
    await blocker.query('ROLLBACK');
    await blocker.end();
    await decideRequest(services, id, {
      questionId: 'apply-stopped',
      optionId: 'retry',
      person: 'bob',
      channel: 'cli',
    });
    return id;
  },
  'review-applied': async (services, target) => {
    await sql(
      target.url,
      'CREATE TABLE customer (id bigint PRIMARY KEY); ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customer',
    );
    const id = await gate(services, { ...change(target.name, ''), kind: 'review', title: 'review' });
    await answerAll(services, id);
    return id;
  },
  'revert-applied': async (services, target) => {
    const files = [{ path: '001_notes.up.sql', up: 'CREATE TABLE notes (id int);', down: 'DROP TABLE notes;' }];
    const applied = await gate(services, {
      ...change(target.name, ''),
      source: { format: 'migrations', text: JSON.stringify(files) },
    });
    await answerAll(services, applied);
    await until(services, applied, (view) => view.phase === 'done');
    const id = await gate(services, {
      ...change('', ''),
      kind: 'revert',
      environment: '',
      reverts: applied,
      source: { format: 'revert', text: 'rolled back with the release' },
    });
    await answerAll(services, id);
    return id;
  },
  'design-applied': async (services, target) => {
    const spec = (await import('node:fs')).readFileSync(
      join(__dirname, '..', '..', 'examples', 'ecommerce.yaml'),
      'utf8',
    );
    await sql(target.url, 'DROP TABLE orders');
    const id = await gate(services, {
      ...change(target.name, spec),
      kind: 'design',
      title: 'design',
      source: { format: 'spec', text: spec },
    });
    await answerAll(services, id);
    return id;
  },
};

/**
 * Since patched('wf-path-apply-under-lock') every path above records the apply under the lock; the
 * files of the same names hold runs from before it, so these names keep both.
 */
Object.assign(paths, {
  'change-applied-under-lock': paths['change-applied'],
  'apply-stopped-under-lock-retried': paths['apply-stopped-then-retried'],
  'revert-applied-under-lock': paths['revert-applied'],
  // A schema change lands while the approved request waits for the apply lock: modeled, reviewed and asked again.
  'drift-under-lock-remodeled': (async (services, target) => {
    const id = await gate(services, change(target.name, 'ALTER TABLE orders ADD COLUMN note text;'));
    const other = new PgClient({ connectionString: target.url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1)', [APPLY_LOCK_KEY]);
    await decideRequest(services, id, { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' });
    await until(services, id, (view) => view.phase === 'apply');
    await other.query('CREATE TABLE audit_trail (id bigint PRIMARY KEY)');
    await other.end();
    await approveAgain(services, id);
    return id;
  }) satisfies Path,
});

async function main(): Promise<void> {
  const stack = await startBenchStack({ temporal: true });
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const store = createStorePool(await ensureDatabase(stack.postgres.adminUrl, 'record_store'));
  await migrateStore(store);
  const decisions = ephemeralDecisionSigner();
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: 'record',
    deps: { store, approvals: { decisionKeys: decisions.publicKeys, gatePolicyFor: () => POLICY } },
    workflowBundle: await bundleWorkflows(),
  });
  const services: RequestServices = {
    temporal: client,
    store,
    taskQueue: 'record',
    gatePolicyFor: () => POLICY,
    timings: PATIENT,
    decisions,
  };
  try {
    await worker.runUntil(async () => {
      const only = process.argv.slice(2);
      const unknown = only.filter((name) => !(name in paths));
      if (unknown.length)
        throw new Error(`no path ${unknown.join(', ')}: record one of ${Object.keys(paths).join(', ')}`);
      for (const [name, path] of Object.entries(paths)) {
        if (only.length && !only.includes(name)) continue;
        const targetName = `record_${name.replace(/-/g, '_')}`;
        const url = await ensureDatabase(stack.postgres.adminUrl, targetName);
        await sql(url, ORDERS);
        process.env[targetVariable(targetName)] = url;
        const id = await path(services, { name: targetName, url });
        const done = await until(services, id, (view) => view.phase === 'done');
        const history = await client.workflow.getHandle(workflowIdOf(id)).fetchHistory();
        const file = join(__dirname, `design-request-${RECORD_AS ? `${RECORD_AS}-` : ''}${name}.json`);
        writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history).split(REPO).join('')), null, 2)}\n`);
        console.log(`${name}: ${done.state} (${done.outcome}) → ${file}`);
      }
    });
  } finally {
    await store.end();
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

function change(target: string, text: string): KickoffRequest {
  return {
    kind: 'change',
    title: 'record',
    target,
    environment: 'production',
    requester: 'rita',
    channel: 'cli',
    source: { format: 'sql', text },
  };
}

async function gate(services: RequestServices, request: KickoffRequest): Promise<string> {
  const { requestId } = await startRequest(services, request);
  await until(services, requestId, (view) => view.state === 'awaiting-approval' || view.phase === 'done');
  return requestId;
}

async function answerAll(services: RequestServices, id: string): Promise<void> {
  for (const question of (await requestStatus(services, id)).questions.filter((q) => q.state === 'open')) {
    await decideRequest(services, id, {
      questionId: question.id,
      optionId: question.recommendation.optionId,
      person: 'ann',
      channel: 'cli',
    });
  }
}

/** The request was asked again after a drift: bob approves the second round. */
async function approveAgain(services: RequestServices, id: string): Promise<void> {
  await until(
    services,
    id,
    (view) => view.state === 'awaiting-approval' && view.questions.some((q) => q.id === 'approve#2'),
  );
  await decideRequest(services, id, { questionId: 'approve#2', optionId: 'apply', person: 'bob', channel: 'cli' });
}

function until(
  services: RequestServices,
  id: string,
  done: (view: RequestStatusView) => boolean,
): Promise<RequestStatusView> {
  return waitFor(
    `request ${id}`,
    async () => {
      const view = await requestStatus(services, id);
      return done(view) ? view : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 50 },
  );
}

async function sql(url: string, text: string): Promise<void> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
