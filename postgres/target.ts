import { Client } from 'pg';
import { ConfigError } from '../config/environment';
import { redacted, resolveTarget, TargetNotFoundError } from '../config/targets';
import { fingerprint, introspect, type Catalog } from './introspection';

/** A target that does not answer: its server is down, or its host, port or credentials are wrong. */
export class TargetUnreachableError extends ConfigError {
  override name = 'TargetUnreachableError';
}

/** A target as the CLI takes it: a PostgreSQL URL as given, or the name of a configured target (as requests name them). */
export function targetConnectionString(target: string, env: NodeJS.ProcessEnv = process.env): string {
  return target.includes('://') ? target : resolveTarget(target, env).connectionString;
}

export interface TargetOptions {
  /** Shown in pg_stat_activity, so a DBA sees who is connected. */
  applicationName?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens a target (a configured name, or a URL) for one piece of work. Connection failures become
 * errors that name the target (a URL only with its password hidden) and say what to check.
 */
export async function withTarget<T>(target: string, work: (client: Client, connectionString: string) => Promise<T>, options: TargetOptions = {}): Promise<T> {
  const connectionString = targetConnectionString(target, options.env);
  const shown = target.includes('://') ? redacted(connectionString) : `target '${target}'`;
  const client = new Client({ connectionString, application_name: options.applicationName ?? 'schemawright', connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    // pg's messages name the host and user at most; what we show of a URL has no password.
    const explained = `could not connect to ${shown}: ${(error as Error).message}. Check the host, port, database name and credentials, and that the server accepts connections from here.`;
    // A database that does not exist will not appear on a retry; a server that is down may come back.
    if ((error as { code?: string }).code === '3D000') throw new TargetNotFoundError(explained);
    throw new TargetUnreachableError(explained);
  }
  try {
    return await work(client, connectionString);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The target's catalog without query statistics, read-only: its version, table sizes and column types. */
export function readTargetCatalog(target: string, options: TargetOptions = {}): Promise<Catalog> {
  return withTarget(target, (client) => introspect(client, { statements: 0 }), options);
}

/** The target's structure fingerprint now: what the drift check compares with the one reviewed. */
export async function targetFingerprint(target: string, options: TargetOptions = {}): Promise<string> {
  return fingerprint(await readTargetCatalog(target, options));
}
