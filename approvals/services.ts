import type { Client } from '@temporalio/client';
import { ConfigError, type Environment } from '../config/environment';
import { connectClient } from '../stack/temporal-connection';
import { createStorePool, migrateStore } from '../store/database';
import { decisionSignerFrom, type DecisionSignerRole } from './decision-keys';
import { loadPolicy, type Policy } from './policy';
import type { RequestServices } from './requests';

/** What `readClientEnvironment()` returns: settings plus what `npm start` left for the CLI. */
export type ClientEnvironment = Environment;

export type OpenRequestServices = RequestServices & { policy: Policy; close(): Promise<void> };

/**
 * The request services of a process that talks to a running schemawright (CLI, web, Slack): a
 * Temporal client, the store, the policy file, the gate timings and the decision keys of its role
 * (the web server signs for email, Slack and API, the CLI as the operator), all from the environment.
 */
export async function openRequestServices(
  env: ClientEnvironment,
  signer: DecisionSignerRole,
): Promise<OpenRequestServices> {
  const policy = loadPolicy(env.approvals.policyPath);
  const decisions = decisionSignerFrom(env, signer);
  if (!env.postgres.databaseUrl) {
    throw new ConfigError(
      'DATABASE_URL is not set and no running stack was found: run `npm start` in this directory, or set DATABASE_URL and TEMPORAL_ADDRESS.',
    );
  }
  const store = createStorePool(env.postgres.databaseUrl, 'schemawright-requests');
  let temporal: { client: Client; connection: { close(): Promise<void> } } | undefined;
  try {
    await migrateStore(store);
    temporal = await connectClient(env);
  } catch (error) {
    await store.end();
    throw error;
  }
  const { client, connection } = temporal;
  return {
    temporal: client,
    store,
    taskQueue: env.temporal.taskQueue,
    gatePolicyFor: (target, environment) => policy.gatePolicyFor(target, environment),
    policyTargets: policy.targets,
    timings: env.gates,
    decisions,
    policy,
    async close() {
      await connection.close();
      await store.end();
    },
  };
}
