import type { Worker } from '@temporalio/worker';
import { Client as PgClient, type Pool } from 'pg';
import { targetVariable } from '../../config/targets';
import { ephemeralDecisionSigner } from '../../approvals/decision-keys';
import { requestStatus, type RequestServices } from '../../approvals/requests';
import type {
  ApplyLimits,
  DecisionKeys,
  GatePolicy,
  GateTimings,
  RequestStatusView,
} from '../../workflows/design-request-messages';
import { waitFor } from '../../stack/wait';
import type { ActivityDependencies } from '../../activities';
import { createWorker } from '../../workers/worker';
import { createTestDatabase, uniqueName, workflowBundle, type TemporalConnections, type TestDatabase } from './stack';

/** Approvers of the test policy: requester `rita`, approvers `ann` and `bob`, backup `carl`, admin `ada`. */
export function testPolicy(overrides: Partial<GatePolicy> = {}): GatePolicy {
  return {
    approvers: ['ann', 'bob'],
    backupApprovers: ['carl'],
    admins: ['ada'],
    quorum: 1,
    separationOfDuties: true,
    ...overrides,
  };
}

/** Signs as both the web server and the operator would: fresh keys per test file. */
export const testSigner = ephemeralDecisionSigner();

/** Gates that never remind, re-route or expire during a test unless the test says so. */
export const patientGates: GateTimings = {
  remindEverySeconds: 3600,
  rerouteAfterSeconds: 7200,
  expireAfterSeconds: 86400,
};

export interface RequestHarness {
  services: RequestServices;
  target: TestDatabase;
  worker: Worker;
  close(): Promise<void>;
}

/** A target database, an in-process worker on its own task queue, and the request services around them. */
export async function requestHarness(
  temporal: TemporalConnections,
  store: Pool,
  options: {
    policy?: GatePolicy;
    timings?: GateTimings;
    targetSetup?: string;
    apply?: ApplyLimits;
    notify?: ActivityDependencies['notify'];
    /** The worker's workflow cache (default: production's). */
    maxCachedWorkflows?: number;
    /** The keys the worker verifies approvals with (default: the test signer's). */
    decisionKeys?: DecisionKeys;
  } = {},
): Promise<RequestHarness> {
  const target = await createTestDatabase('sw_target');
  process.env[targetVariable(target.name)] = target.url;
  if (options.targetSetup) await runSql(target.url, options.targetSetup);
  const taskQueue = uniqueName('requests');
  const policy = options.policy ?? testPolicy();
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    // The worker verifies approvals with the test signer's keys and the policy requests are started with.
    deps: {
      store,
      notify: options.notify,
      approvals: { decisionKeys: options.decisionKeys ?? testSigner.publicKeys, gatePolicyFor: () => policy },
    },
    workflowBundle: await workflowBundle(),
    maxCachedWorkflows: options.maxCachedWorkflows,
  });
  const running = worker.run();
  return {
    services: {
      temporal: temporal.client,
      store,
      taskQueue,
      gatePolicyFor: () => policy,
      timings: options.timings ?? patientGates,
      apply: options.apply,
      decisions: testSigner,
    },
    target,
    worker,
    async close() {
      worker.shutdown();
      await running;
      delete process.env[targetVariable(target.name)];
      await target.drop();
    },
  };
}

export async function runSql(url: string, sql: string): Promise<void> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function querySql<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Waits until the request's status satisfies `done`; returns that status. */
export function statusWhen(
  services: RequestServices,
  requestId: string,
  what: string,
  done: (view: RequestStatusView) => boolean,
  timeoutMs = 60_000,
): Promise<RequestStatusView> {
  return waitFor(
    `request ${requestId}: ${what}`,
    async () => {
      const view = await requestStatus(services, requestId);
      return done(view) ? view : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export const atGate = (view: RequestStatusView) => view.state === 'awaiting-approval';
export const ended = (view: RequestStatusView) => view.phase === 'done';
