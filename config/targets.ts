import { databaseUrl } from '../store/database';
import { ConfigError } from './environment';

/**
 * Target databases are named in requests, workflows, Slack and email; only activities resolve a name
 * to its connection string, so credentials never travel with a request.
 *
 * `SCHEMAWRIGHT_TARGET_<NAME>_URL` (name upper-cased, `-` as `_`) points a target at any server.
 * Without it, a target is the database of that name on the project store's server: the embedded
 * default, where `schemawright request --target shop` works on a local `shop` database.
 */
export interface Target {
  name: string;
  connectionString: string;
}

export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

export function targetVariable(name: string): string {
  return `SCHEMAWRIGHT_TARGET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

export function resolveTarget(name: string, env: NodeJS.ProcessEnv = process.env): Target {
  const configured = env[targetVariable(name)];
  if (configured) return { name, connectionString: configured };
  if (!env.DATABASE_URL) {
    throw new TargetNotFoundError(`target '${name}' has no connection: set ${targetVariable(name)} (or DATABASE_URL for targets on the store's server)`);
  }
  return { name, connectionString: databaseUrl(env.DATABASE_URL, name) };
}

/** A connection string fit for messages: the password replaced. */
export function redacted(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    throw new ConfigError('a target connection string is not a URL: use postgres://user:password@host:port/database');
  }
}
