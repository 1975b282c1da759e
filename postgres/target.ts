import { Client } from 'pg';
import { resolveTarget, TargetNotFoundError } from '../config/targets';

/**
 * Opens the named target for one piece of work. Connection failures become errors that name the
 * target (never its URL, which may carry a password) and say what to check.
 */
export async function withTarget<T>(name: string, work: (client: Client, connectionString: string) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const { connectionString } = resolveTarget(name, env);
  const client = new Client({ connectionString, application_name: 'schemawright' });
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '3D000') throw new TargetNotFoundError(`target '${name}' does not exist on its server: create the database, or point the target elsewhere`);
    throw new Error(`cannot reach target '${name}' (${(error as Error).message}): check that its server runs and its connection setting`);
  }
  try {
    return await work(client, connectionString);
  } finally {
    await client.end().catch(() => undefined);
  }
}
