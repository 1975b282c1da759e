import { Runtime } from '@temporalio/worker';
import { openNotifier } from '../approvals/notify';
import { ConfigError, readEnvironment } from '../config/environment';
import { checkSplitHosts } from '../config/split-hosts';
import { serveOperations } from '../operations/endpoint';
import { processLog } from '../operations/log';
import { collectProcessMetrics, observeAudit, observeNotification } from '../operations/metrics';
import { freePort, requireFreePort } from '../stack/ports';
import { connectClient, connectWorker } from '../stack/temporal-connection';
import { onAppended } from '../store/audit';
import { auditCheckpointer, checkpointEveryMinute } from '../store/audit-anchor';
import { auditKeyFrom } from '../store/audit-key';
import { warnOfAuditRewriteRights } from '../store/least-privilege';
import { stopShadowServer } from '../stack/shadow-server';

import { createStorePool, migrateStore } from '../store/database';
import { endTargetPools } from '../postgres/target-pool';
import { bundleWorkflows, createWorker } from './worker';
import { verifyingKeys } from '../approvals/decision-keys';
import { loadPolicy } from '../approvals/policy';

/** A worker process: stateless, so any number of them can poll the same task queue. */
export async function runWorker(env = readEnvironment()): Promise<void> {
  if (!env.postgres.databaseUrl)
    throw new ConfigError(
      'DATABASE_URL is not set: the worker needs the project store. Run `npm start`, or set DATABASE_URL.',
    );
  const log = processLog('worker');
  const split = checkSplitHosts(env, 'worker');
  if (split.refuse) throw new ConfigError(split.refuse);
  if (split.warn) log.warn(split.warn);
  if (env.metrics.workerPort)
    await requireFreePort(
      env.metrics.workerPort,
      "the worker's metrics",
      'Stop whatever holds it, or give each worker on this host its own SCHEMAWRIGHT_WORKER_METRICS_PORT.',
    );
  // The SDK's own metrics (task latencies, slots, polls) from its exporter on a loopback port of its
  // own, served together with ours on /metrics; its logs as JSON lines like ours.
  const sdkMetricsPort = env.metrics.workerPort ? await freePort() : undefined;
  Runtime.install({
    logger: log.temporal,
    telemetryOptions: sdkMetricsPort
      ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, useSecondsForDurations: true } } }
      : {},
  });
  const policy = loadPolicy(env.approvals.policyPath);
  const store = createStorePool(env.postgres.databaseUrl, 'schemawright-worker');
  await migrateStore(store);
  await warnOfAuditRewriteRights(store);
  const notifier = openNotifier(env, store);
  const connection = await connectWorker(env);
  const temporal = await connectClient(env);
  const checkpointAudit = auditCheckpointer({
    store,
    key: auditKeyFrom(env),
    temporal: { client: temporal.client, taskQueue: env.temporal.taskQueue },
  });
  const checkpoints = checkpointEveryMinute(checkpointAudit);
  collectProcessMetrics();
  onAppended(observeAudit);
  const worker = await createWorker({
    connection,
    namespace: env.temporal.namespace,
    taskQueue: env.temporal.taskQueue,
    deps: {
      store,
      // Observed before sending: a channel that is down does not hide how long a gate waited.
      notify: (notification) => {
        observeNotification(notification);
        return notifier.notify(notification);
      },
      tellRollout: notifier.tellRollout,
      checkpointAudit,
      // Approvals (of requests and rollouts) are verified where targets change, with this worker's keys and policy.
      approvals: {
        decisionKeys: verifyingKeys(env),
        gatePolicyFor: (group, environment) => policy.gatePolicyFor(group, environment),
      },
    },
    workflowBundle: await bundleWorkflows(),
  });
  const operations = env.metrics.workerPort
    ? await serveOperations(
        {
          checks: {
            store: () => store.query('SELECT 1'),
            temporal: () => temporal.client.workflowService.getSystemInfo({}),
            polling: async () => {
              if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
            },
          },
          moreMetrics: async () => (await fetch(`http://127.0.0.1:${sdkMetricsPort}/metrics`)).text(),
        },
        env.metrics.workerPort,
        env.metrics.host,
      )
    : undefined;
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.info(
    `worker polling task queue "${env.temporal.taskQueue}" on ${env.temporal.address} (namespace ${env.temporal.namespace})`,
    {
      metrics: operations
        ? `http://${env.metrics.host}:${env.metrics.workerPort}/metrics`
        : 'off (set SCHEMAWRIGHT_WORKER_METRICS_PORT)',
    },
  );
  try {
    await worker.run();
  } finally {
    operations?.close();
    await checkpoints.stop();
    await temporal.connection.close();
    await connection.close();
    notifier.close();
    await store.end();
    // The apply runner's warm connections to targets.
    await endTargetPools();
    // The sandbox server this worker started for shadow reviews, if any.
    await stopShadowServer();
  }
}
