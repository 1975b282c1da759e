import { ConfigError, readEnvironment } from '../../config/environment';
import { requireFreePort } from '../../stack/ports';
import { connectClient } from '../../stack/temporal-connection';
import { createStorePool, migrateStore } from '../../store/database';
import { createWebServer, listen } from './server';

/** The approvals web server as a process of its own. */
export async function runWebServer(env = readEnvironment()): Promise<void> {
  if (!env.postgres.databaseUrl) throw new ConfigError('DATABASE_URL is not set: the web server needs the project store. Run `npm start`, or set DATABASE_URL.');
  await requireFreePort(env.web.port, 'the approvals web server', 'Stop whatever holds it, or choose another with SCHEMAWRIGHT_WEB_PORT.');
  const store = createStorePool(env.postgres.databaseUrl, 'schemawright-web');
  await migrateStore(store);
  const { client, connection } = await connectClient(env);
  const server = createWebServer({ store, temporal: client, taskQueue: env.temporal.taskQueue, temporalUiUrl: env.temporal.uiUrl });
  const port = await listen(server, env.web.port, env.web.host);
  console.log(`web server listening on http://${env.web.host}:${port}`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise((r) => server.once('close', r));
  await connection.close();
  await store.end();
}
