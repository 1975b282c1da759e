/**
 * Records a rollout's histories into test/histories/, for test/replay.test.ts:
 * `npm run record-histories:rollout` (own Temporal dev server and PostgreSQL, removed afterwards).
 * One rollout over four tenant databases in waves of one and the rest: one target fails on a lock
 * (the wave stops, the failed target is skipped), one drifted after review (reviewed and asked
 * again alone). Saved: the parent, an applied child and the failed child.
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { ephemeralDecisionSigner } from '../../approvals/decision-keys';
import {
  decideRollout,
  rolloutStatusOf,
  rolloutWorkflowId,
  startRollout,
  type RolloutServices,
} from '../../approvals/rollouts';
import { waitFor } from '../../stack/wait';
import { createStorePool, databaseUrl, ensureDatabase, migrateStore } from '../../store/database';
import type { RolloutStatusView } from '../../workflows/rollout-messages';
import { bundleWorkflows, createWorker } from '../../workers/worker';
import { startBenchStack } from '../../bench/support/stack';

const POLICY = { approvers: ['ann', 'bob'], backupApprovers: [], admins: [], quorum: 1, separationOfDuties: true };
const PATIENT = { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86_400 };
const REPO = `${join(__dirname, '..', '..')}/`;

async function main(): Promise<void> {
  const stack = await startBenchStack({ temporal: true });
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const admin = stack.postgres.adminUrl;
  const store = createStorePool(await ensureDatabase(admin, 'record_store'));
  await migrateStore(store);
  process.env.DATABASE_URL = admin;
  const holder = new PgClient({ connectionString: databaseUrl(admin, 'tenant_2') });
  try {
    await sql(await ensureDatabase(admin, 'tenant_template'), 'CREATE TABLE orders (id bigint PRIMARY KEY)');
    for (const n of [1, 2, 3, 4]) await sql(admin, `CREATE DATABASE tenant_${n} TEMPLATE tenant_template`);
    const signer = ephemeralDecisionSigner();
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: 'record-rollouts',
      deps: { store, rollouts: { decisionKeys: signer.publicKeys, gatePolicyFor: () => POLICY } },
      workflowBundle: await bundleWorkflows(),
    });
    const services: RolloutServices = {
      temporal: client,
      store,
      taskQueue: 'record-rollouts',
      gatePolicyFor: () => POLICY,
      timings: PATIENT,
      apply: { lockTimeoutMs: 300, lockRetries: 0 },
      heartbeatSeconds: 10,
      decisions: signer,
      groups: [
        {
          name: 'tenants',
          stages: [
            {
              environment: 'production',
              pattern: 'tenant\\__',
              waves: [{ count: 1 }, 'rest'],
              maxFailures: 0,
              pauseSeconds: 0,
            },
          ],
        },
      ],
    };
    await worker.runUntil(async () => {
      const { rolloutId } = await startRollout(services, {
        clientRolloutId: 'record-waves-drift-skip',
        group: 'tenants',
        title: 'orders get a note',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
        concurrency: 1,
      });
      const asked = await until(services, rolloutId, (v) => v.questions.some((q) => q.state === 'open'));
      await sql(databaseUrl(admin, 'tenant_4'), 'ALTER TABLE orders ADD COLUMN extra integer');
      await holder.connect();
      await holder.query('BEGIN; LOCK TABLE orders IN SHARE MODE');
      await decideRollout(
        services,
        rolloutId,
        { questionId: asked.questions[0]!.id, optionId: 'apply', person: 'ann', channel: 'cli' },
        'record-approve',
      );
      const again = await until(services, rolloutId, (v) =>
        v.questions.some((q) => q.state === 'open' && q.id !== asked.questions[0]!.id),
      );
      await decideRollout(
        services,
        rolloutId,
        {
          questionId: again.questions.find((q) => q.state === 'open')!.id,
          optionId: 'apply',
          person: 'bob',
          channel: 'cli',
        },
        'record-again',
      );
      const stopped = await until(services, rolloutId, (v) =>
        v.questions.some((q) => q.state === 'open' && q.id.startsWith('wave:')),
      );
      await holder.query('ROLLBACK');
      await decideRollout(
        services,
        rolloutId,
        {
          questionId: stopped.questions.find((q) => q.state === 'open')!.id,
          optionId: 'skip',
          person: 'ann',
          channel: 'cli',
          comment: 'by hand',
        },
        'record-skip',
      );
      const done = await until(services, rolloutId, (v) => ['completed', 'failed', 'aborted'].includes(v.state));
      console.log(`rollout: ${done.state} (${done.outcome})`);
      const parent = rolloutWorkflowId(rolloutId);
      // RECORD_AS=telling: the parent as today's code runs it (patched('rollout-telling')), beside the
      // histories recorded before it; its children are unchanged by that patch.
      if (process.env.RECORD_AS === 'telling') {
        await save(client, parent, 'rollout-telling-waves-drift-skip');
        return;
      }
      await save(client, parent, 'rollout-waves-drift-skip');
      await save(client, `${parent}/tenant_1/1`, 'rollout-target-applied');
      await save(client, `${parent}/tenant_2/1`, 'rollout-target-failed');
    });
  } finally {
    await holder.end().catch(() => undefined);
    await store.end();
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

async function save(client: Client, workflowId: string, name: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = join(__dirname, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history).split(REPO).join('')), null, 2)}\n`);
  console.log(`${workflowId} → ${file}`);
}

function until(
  services: RolloutServices,
  rolloutId: string,
  done: (view: RolloutStatusView) => boolean,
): Promise<RolloutStatusView> {
  return waitFor(
    `rollout ${rolloutId}`,
    async () => {
      const view = await rolloutStatusOf(services, rolloutId);
      return done(view) ? view : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

async function sql(url: string, text: string): Promise<void> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    await pg.query(text);
  } finally {
    await pg.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
