import { openNotifier } from '../approvals/notify';
import { ConfigError, readEnvironment } from '../config/environment';
import { connectClient, connectWorker } from '../stack/temporal-connection';
import { auditCheckpointer, checkpointEveryMinute } from '../store/audit-anchor';
import { auditKeyFrom } from '../store/audit-key';
import { warnOfAuditRewriteRights } from '../store/least-privilege';
import { stopShadowServer } from '../stack/shadow-server';

import { createStorePool, migrateStore } from '../store/database';
import { bundleWorkflows, createWorker } from './worker';

/** A worker process: stateless, so any number of them can poll the same task queue. */
export async function runWorker(env = readEnvironment()): Promise<void> {
  if (!env.postgres.databaseUrl)
    throw new ConfigError(
      'DATABASE_URL is not set: the worker needs the project store. Run `npm start`, or set DATABASE_URL.',
    );
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
  const worker = await createWorker({
    connection,
    namespace: env.temporal.namespace,
    taskQueue: env.temporal.taskQueue,
    deps: { store, notify: notifier.notify, checkpointAudit },
    workflowBundle: await bundleWorkflows(),
  });
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(
    `worker polling task queue "${env.temporal.taskQueue}" on ${env.temporal.address} (namespace ${env.temporal.namespace})`,
  );
  try {
    await worker.run();
  } finally {
    await checkpoints.stop();
    await temporal.connection.close();
    await connection.close();
    notifier.close();
    await store.end();
    // The sandbox server this worker started for shadow reviews, if any.
    await stopShadowServer();
  }
}
