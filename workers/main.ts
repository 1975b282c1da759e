import { openNotifier } from '../approvals/notify';
import { ConfigError, readEnvironment } from '../config/environment';
import { stopShadowServer } from '../stack/shadow-server';
import { connectWorker } from '../stack/temporal-connection';
import { createStorePool, migrateStore } from '../store/database';
import { bundleWorkflows, createWorker } from './worker';

/** A worker process: stateless, so any number of them can poll the same task queue. */
export async function runWorker(env = readEnvironment()): Promise<void> {
  if (!env.postgres.databaseUrl) throw new ConfigError('DATABASE_URL is not set: the worker needs the project store. Run `npm start`, or set DATABASE_URL.');
  const store = createStorePool(env.postgres.databaseUrl, 'schemawright-worker');
  await migrateStore(store);
  const notifier = openNotifier(env, store);
  const connection = await connectWorker(env);
  const worker = await createWorker({
    connection,
    namespace: env.temporal.namespace,
    taskQueue: env.temporal.taskQueue,
    deps: { store, notify: notifier.notify },
    workflowBundle: await bundleWorkflows(),
  });
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`worker polling task queue "${env.temporal.taskQueue}" on ${env.temporal.address} (namespace ${env.temporal.namespace})`);
  try {
    await worker.run();
  } finally {
    await connection.close();
    notifier.close();
    await store.end();
    // The sandbox server this worker started for shadow reviews, if any.
    await stopShadowServer();
  }
}
