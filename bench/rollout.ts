/**
 * bench:rollout. Prints figures, asserts nothing.
 * BENCH_TENANTS (default 200) tenant databases on one PostgreSQL, one rollout of ADD COLUMN and
 * CREATE INDEX CONCURRENTLY over them in waves of 1, 20 and the rest (BENCH_CONCURRENCY children at
 * once, default 10): kickoff → stage question, approval → all applied, per-target apply time beside
 * a single request's apply of the same change in the same run, the parent's runs (continue-as-new
 * after BENCH_CONTINUE_AFTER events, default the workflow's) and its last run's history size, and the
 * bench process's RSS (worker and client in one process).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import { decideRequest, requestStatus, startRequest, type RequestServices } from '../approvals/requests';
import { decideRollout, rolloutStatusOf, rolloutWorkflowId, startRollout } from '../approvals/rollouts';
import { targetVariable } from '../config/targets';
import { createStorePool, databaseUrl, ensureDatabase, migrateStore } from '../store/database';
import { waitFor } from '../stack/wait';
import { queryAudit } from '../store/audit';
import type { RolloutStatusView } from '../workflows/rollout-messages';
import { bundleWorkflows, createWorker } from '../workers/worker';
import { percentile, startBenchStack } from './support/stack';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
/** History events after which the rollout continues as a new run: the workflow's default unless set. */
const CONTINUE_AFTER = process.env.BENCH_CONTINUE_AFTER ? Number(process.env.BENCH_CONTINUE_AFTER) : undefined;
const POLICY = { approvers: ['ann', 'bob'], backupApprovers: [], admins: [], quorum: 1, separationOfDuties: true };
const PATIENT = { remindEverySeconds: 86_400, rerouteAfterSeconds: 172_800, expireAfterSeconds: 604_800 };
const SCHEMA = `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (id, total) SELECT i, i % 97 FROM generate_series(1, 1000) i;`;
const CHANGE =
  'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);\n';

async function main(): Promise<void> {
  const stack = await startBenchStack({ temporal: true });
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const admin = stack.postgres.adminUrl;
  const store = createStorePool(await ensureDatabase(admin, 'bench_store'));
  await migrateStore(store);
  // Tenants live on the store's server: group members resolve through DATABASE_URL, like the default stack's.
  process.env.DATABASE_URL = admin;
  try {
    let started = Date.now();
    await sql(await ensureDatabase(admin, 'tenant_template'), SCHEMA);
    const tenants = Array.from({ length: TENANTS }, (_, i) => `tenant_${String(i + 1).padStart(4, '0')}`);
    await sqlAll(
      admin,
      tenants.map((name) => `CREATE DATABASE "${name}" TEMPLATE tenant_template`),
    );
    const single = 'single_request';
    await sql(admin, `CREATE DATABASE ${single} TEMPLATE tenant_template`);
    process.env[targetVariable(single)] = databaseUrl(admin, single);
    console.log(`${TENANTS} tenant databases (1,000 rows each) made in ${Date.now() - started} ms`);

    const signer = ephemeralDecisionSigner();
    const taskQueue = 'bench-rollouts';
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { store, approvals: { decisionKeys: signer.publicKeys, gatePolicyFor: () => POLICY } },
      workflowBundle: await bundleWorkflows(),
    });
    const services: RequestServices = {
      temporal: client,
      store,
      taskQueue,
      gatePolicyFor: () => POLICY,
      timings: PATIENT,
      decisions: signer,
    };
    await worker.runUntil(async () => {
      // A single request of the same change, for its apply time.
      const { requestId } = await startRequest(services, {
        kind: 'change',
        title: 'single',
        target: single,
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: CHANGE },
      });
      const gate = await poll(async () => {
        const view = await requestStatus(services, requestId);
        return view.state === 'awaiting-approval' ? view : undefined;
      });
      for (const question of gate.questions)
        await decideRequest(services, requestId, {
          questionId: question.id,
          optionId: question.recommendation.optionId,
          person: 'ann',
          channel: 'cli',
          comment: 'bench',
        });
      const done = await poll(async () => {
        const view = await requestStatus(services, requestId);
        return view.phase === 'done' ? view : undefined;
      });
      const singleMs = Number(/in (\d+) ms/.exec(done.outcome ?? '')?.[1]);
      console.log(`single request: ${done.state}, ${done.outcome}`);

      started = Date.now();
      const { rolloutId } = await startRollout(
        {
          ...services,
          groups: [
            {
              name: 'tenants',
              stages: [
                {
                  environment: 'production',
                  // tenant_ and four characters: tenant_0001 to tenant_9999, never tenant_template.
                  pattern: 'tenant\\_____',
                  waves: [{ count: 1 }, { count: 20 }, 'rest'],
                  maxFailures: 0,
                  pauseSeconds: 0,
                },
              ],
            },
          ],
        },
        {
          group: 'tenants',
          title: 'note and index',
          requester: 'rita',
          channel: 'cli',
          source: { format: 'sql', text: CHANGE },
          concurrency: CONCURRENCY,
          continueAfterEvents: CONTINUE_AFTER,
        },
      );
      const asked = await poll(async () => {
        const view = await rolloutStatusOf(services, rolloutId);
        return view.questions.some((q) => q.state === 'open') ? view : undefined;
      });
      const askedMs = Date.now() - started;
      const approvedAt = Date.now();
      for (const question of asked.questions)
        await decideRollout(services, rolloutId, {
          questionId: question.id,
          optionId: 'apply',
          person: 'ann',
          channel: 'cli',
        });
      let peakRss = process.memoryUsage().rss;
      const ended = await poll(async () => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        const view = await rolloutStatusOf(services, rolloutId);
        return ['completed', 'failed', 'aborted'].includes(view.state) ? view : undefined;
      });
      const applyingMs = Date.now() - approvedAt;
      const perTarget = applyTimes(ended);
      const { historySize, historyLength } = await client.workflow.getHandle(rolloutWorkflowId(rolloutId)).describe();
      console.log(`rollout over ${TENANTS} targets: ${ended.state}; ${ended.outcome}`);
      console.log(`  reviews: ${ended.reviews.length} (one per distinct schema)`);
      console.log(`  kickoff → stage question (fingerprints of all, one review): ${askedMs} ms`);
      console.log(
        `  approval → all applied, waves of 1, 20 and ${TENANTS - 21}, ${CONCURRENCY} at once: ${applyingMs} ms (${(applyingMs / TENANTS).toFixed(0)} ms per target)`,
      );
      console.log(
        `  per-target apply (runner's own time): p50 ${percentile(perTarget, 50)} ms, p95 ${percentile(perTarget, 95)} ms, max ${Math.max(...perTarget)} ms; single request's apply: ${singleMs} ms`,
      );
      const runs = (await queryAudit(store, { requestId: rolloutId })).filter((e) => e.kind === 'continued').length + 1;
      console.log(
        `  parent: ${runs} run(s) (continue-as-new after ${CONTINUE_AFTER ?? 'the default'} events); last run's history ${historyLength} events, ${((historySize ?? 0) / 1024).toFixed(0)} KB`,
      );
      console.log(`  bench process (worker and client) RSS: peak ${(peakRss / 1024 ** 2).toFixed(0)} MB`);
    });
  } finally {
    await store.end();
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

function applyTimes(view: RolloutStatusView): number[] {
  return view.targets.map((t) => Number(/in (\d+) ms/.exec(t.detail ?? '')?.[1])).filter((ms) => Number.isFinite(ms));
}

function poll<T>(probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor('bench', probe, { timeoutMs: 3_600_000, intervalMs: 250 });
}

async function sql(url: string, text: string): Promise<void> {
  await sqlAll(url, [text]);
}

async function sqlAll(url: string, statements: string[]): Promise<void> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    for (const statement of statements) await pg.query(statement);
  } finally {
    await pg.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
