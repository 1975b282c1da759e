import { Client } from 'pg';
import { ConfigError } from '../config/environment';
import { redacted, resolveTarget, TargetNotFoundError } from '../config/targets';
import { introspect, readFingerprint, type Catalog } from './introspection';

/** A target that does not answer: its server is down, or its host, port or credentials are wrong. */
export class TargetUnreachableError extends ConfigError {
  override name = 'TargetUnreachableError';
}

/**
 * A target as given: a PostgreSQL URL as it is, or the name of a configured target (as requests name
 * them), through its reader (everything before approval) or its applier (apply and its verification).
 */
export function targetConnectionString(
  target: string,
  env: NodeJS.ProcessEnv = process.env,
  role: TargetRole = 'read',
): string {
  if (target.includes('://')) return target;
  const resolved = resolveTarget(target, env);
  return role === 'apply' ? resolved.connectionString : resolved.readConnectionString;
}

export type TargetRole = 'read' | 'apply';

export interface TargetOptions {
  /** Shown in pg_stat_activity, so a DBA sees who is connected. */
  applicationName?: string;
  /** TCP keepalive, for sessions that wait long (the apply runner's). */
  keepAlive?: boolean;
  /** How messages name a target given as a URL, where its name is known (the apply runner's): the URL is then not shown. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  /** Which of a named target's roles connects: the reader (the default) or the applier. */
  role?: TargetRole;
}

/**
 * Connects to a target (a configured name, or a URL). Connection failures become errors that name
 * the target (a URL only with its password hidden) and say what to check. The caller ends the client.
 */
export async function connectTarget(target: string, options: TargetOptions = {}): Promise<Client> {
  const connectionString = targetConnectionString(target, options.env, options.role);
  const shown =
    options.name || !target.includes('://') ? `target '${options.name ?? target}'` : redacted(connectionString);
  const client = new Client({
    connectionString,
    application_name: options.applicationName ?? 'schemawright',
    connectionTimeoutMillis: 10_000,
    keepAlive: options.keepAlive,
  });
  // A target restarting under us must fail the work in hand (its query rejects), not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw connectionFailure(error, shown);
  }
  return client;
}

/** A failure to connect to the target `shown`, as the error that says what to check. */
export function connectionFailure(error: unknown, shown: string): Error {
  // pg's messages name the host and user at most; what we show of a URL has no password.
  const explained = `could not connect to ${shown}: ${(error as Error).message}. Check the host, port, database name and credentials, and that the server accepts connections from here.`;
  // A database that does not exist will not appear on a retry; a server that is down may come back.
  if ((error as { code?: string }).code === '3D000') return new TargetNotFoundError(explained);
  return new TargetUnreachableError(explained);
}

/** Opens a target for one piece of work, and closes it after (see connectTarget). */
export async function withTarget<T>(
  target: string,
  work: (client: Client, connectionString: string) => Promise<T>,
  options: TargetOptions = {},
): Promise<T> {
  const client = await connectTarget(target, options);
  try {
    return await work(client, targetConnectionString(target, options.env, options.role));
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
  return withTarget(target, readFingerprint, options);
}
