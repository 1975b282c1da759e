import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Environment } from '../config/environment';
import { ConfigError } from '../config/environment';

function addressOf(env: Environment): string {
  if (!env.temporal.address) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS is not set. Run `npm start` for the embedded stack, or set TEMPORAL_ADDRESS=host:port of your Temporal server.',
    );
  }
  return env.temporal.address;
}

function securityOf(env: Environment) {
  return { apiKey: env.temporal.apiKey, tls: env.temporal.tls ? {} : undefined };
}

export async function connectClient(env: Environment): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: addressOf(env), connectTimeout: '10s', ...securityOf(env) });
  return { connection, client: new Client({ connection, namespace: env.temporal.namespace }) };
}

export function connectWorker(env: Environment): Promise<NativeConnection> {
  return NativeConnection.connect({ address: addressOf(env), ...securityOf(env) });
}
