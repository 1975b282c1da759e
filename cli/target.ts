import { Client } from 'pg';
import { introspect, type Catalog } from '../postgres/introspection';
import { ConfigError } from '../config/environment';
import { redacted, resolveTarget } from '../config/targets';

/** A --target value: a PostgreSQL URL as given, or the name of a configured target (as requests name them). */
export function targetConnectionString(target: string): string {
  return target.includes('://') ? target : resolveTarget(target).connectionString;
}

/** The target's catalog, read-only: its version, table sizes and column types. */
export async function readTargetCatalog(target: string, command: string): Promise<Catalog> {
  const url = targetConnectionString(target);
  const client = new Client({ connectionString: url, application_name: `schemawright-${command}`, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    // A failed connection's message never includes the URL; the redacted one says which target it was.
    throw new ConfigError(`could not connect to ${redacted(url)}: ${(error as Error).message}. Check the target's host, database and credentials.`);
  }
  try {
    return await introspect(client, { statements: 0 });
  } finally {
    await client.end().catch(() => undefined);
  }
}
