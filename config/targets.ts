import { databaseUrl } from '../store/database';
import { ConfigError } from './environment';

/**
 * Target databases are named in requests, workflows, Slack and email; only activities resolve a name
 * to its connection strings, so credentials never travel with a request.
 *
 * Each target has two roles: the applier (`SCHEMAWRIGHT_TARGET_<NAME>_URL`, name upper-cased, `-`
 * as `_`) applies approved migrations; the reader (`SCHEMAWRIGHT_TARGET_<NAME>_READ_URL`, the
 * applier's URL when unset) does everything before approval: analysis, the shadow copy, drift
 * checks. Without either, a target is the database of that name on the project store's server: the
 * embedded default, where `npm start` sets both for `shop`.
 */
export interface Target {
  name: string;
  /** The applier's connection: apply and its verification only. */
  connectionString: string;
  /** The reader's connection: analysis, review, the shadow copy, drift checks. */
  readConnectionString: string;
}

export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

export function targetVariable(name: string, role: 'apply' | 'read' = 'apply'): string {
  return `SCHEMAWRIGHT_TARGET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${role === 'read' ? 'READ_URL' : 'URL'}`;
}

export function resolveTarget(name: string, env: NodeJS.ProcessEnv = process.env): Target {
  const applier = env[targetVariable(name)];
  const reader = env[targetVariable(name, 'read')];
  if (applier || reader) {
    if (!applier) throw new TargetNotFoundError(`target '${name}' has a reader (${targetVariable(name, 'read')}) but no applier: set ${targetVariable(name)} too`);
    return { name, connectionString: applier, readConnectionString: reader ?? applier };
  }
  if (!env.DATABASE_URL) {
    throw new TargetNotFoundError(`target '${name}' has no connection: set ${targetVariable(name)} (or DATABASE_URL for targets on the store's server)`);
  }
  const url = databaseUrl(env.DATABASE_URL, name);
  return { name, connectionString: url, readConnectionString: url };
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
