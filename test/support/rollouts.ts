import type { Worker } from '@temporalio/worker';
import { Client as PgClient, type Pool } from 'pg';
import type { TargetGroup } from '../../config/target-groups';
import { rolloutStatusOf, type RolloutServices } from '../../approvals/rollouts';
import { waitFor } from '../../stack/wait';
import { databaseUrl } from '../../store/database';
import type { DecisionKeys, GatePolicy } from '../../workflows/design-request-messages';
import type { RolloutNotification, RolloutStatusView } from '../../workflows/rollout-messages';
import { createWorker } from '../../workers/worker';
import { patientGates, testPolicy, testSigner } from './requests';
import { testStack, uniqueName, workflowBundle, type TemporalConnections } from './stack';

export interface RolloutHarness {
  services: RolloutServices;
  /** The databases it made, by the name the group gives them. */
  databases: string[];
  taskQueue: string;
  worker: Worker;
  close(): Promise<void>;
}

/**
 * Databases on the test server (the store's server: DATABASE_URL points at it, so activities resolve
 * them by name as group members), each set up with `setup`, and a worker that trusts the test signer
 * and `policyFor` to verify rollout approvals.
 */
export async function rolloutHarness(
  temporal: TemporalConnections,
  store: Pool,
  options: {
    databases: number;
    prefix?: string;
    setup: string;
    groups(names: string[], prefix: string): TargetGroup[];
    policyFor?: (group: string, environment: string) => GatePolicy;
    /** The keys the worker verifies approvals with (default: the test signer's). */
    decisionKeys?: DecisionKeys;
    /** The approvals channels' teller (approvals/notify.ts): absent, the rollout tells no one. */
    tellRollout?: (notification: RolloutNotification) => Promise<void>;
  },
): Promise<RolloutHarness> {
  const admin = testStack().postgresAdminUrl;
  process.env.DATABASE_URL = admin;
  const prefix = options.prefix ?? uniqueName('sw_ro');
  const names = Array.from({ length: options.databases }, (_, i) => `${prefix}_${String(i + 1).padStart(3, '0')}`);
  const template = `${prefix}_template`;
  await onServer(admin, [`CREATE DATABASE "${template}"`]);
  await onServer(databaseUrl(admin, template), [options.setup]);
  // Copies of one template: 50 databases in seconds, each with the same schema.
  await onServer(
    admin,
    names.map((name) => `CREATE DATABASE "${name}" TEMPLATE "${template}"`),
  );
  const policyFor = options.policyFor ?? (() => testPolicy());
  const taskQueue = uniqueName('rollouts');
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    deps: {
      store,
      approvals: { decisionKeys: options.decisionKeys ?? testSigner.publicKeys, gatePolicyFor: policyFor },
      tellRollout: options.tellRollout,
    },
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    services: {
      temporal: temporal.client,
      store,
      taskQueue,
      gatePolicyFor: policyFor,
      timings: patientGates,
      apply: { lockTimeoutMs: 500, lockRetries: 0 },
      heartbeatSeconds: 10,
      decisions: testSigner,
      groups: options.groups(names, prefix),
    },
    databases: names,
    taskQueue,
    worker,
    async close() {
      worker.shutdown();
      await running;
      await onServer(
        admin,
        [...names, template].map((name) => `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

async function onServer(url: string, statements: string[]): Promise<void> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

export function rolloutWhen(
  services: RolloutServices,
  rolloutId: string,
  what: string,
  done: (view: RolloutStatusView) => boolean,
  timeoutMs = 90_000,
): Promise<RolloutStatusView> {
  return waitFor(
    `rollout ${rolloutId}: ${what}`,
    async () => {
      const view = await rolloutStatusOf(services, rolloutId);
      return done(view) ? view : undefined;
    },
    { timeoutMs, intervalMs: 150 },
  );
}

/** The open question whose id starts with `prefix`. */
export const openQuestion = (prefix: string) => (view: RolloutStatusView) =>
  view.questions.some((q) => q.state === 'open' && q.id.startsWith(prefix));

export const rolloutEnded = (view: RolloutStatusView) =>
  ['completed', 'failed', 'aborted', 'rejected', 'expired'].includes(view.state);
