import { databaseUrl } from '../store/database';
import { ConfigError } from './environment';

/**
 * Target databases are named in requests, workflows, Slack and email; only activities resolve a name
 * to its connection strings, so credentials never travel with a request.
 *
 * Each target has two roles: the applier (`SCHEMAWRIGHT_TARGET_<NAME>_URL`, name upper-cased, `-`
 * as `_`) applies approved migrations; the reader (`SCHEMAWRIGHT_TARGET_<NAME>_READ_URL`, the
 * applier's URL when unset) does everything before approval: analysis, the shadow copy, drift
 * checks. A target comes from configuration or from the policy, nothing else: a target the policy
 * names (under `targets`, not `"*"`) without a URL is the database of that name on the project
 * store's server (the embedded default's `shop`, where `npm start` sets both roles). A request naming
 * any other is refused at kickoff. The store's own database is never a target, whatever points at it,
 * and neither is a server's maintenance database (`postgres`, the templates) unless a URL names it on purpose.
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

const MAINTENANCE_DATABASES = ['postgres', 'template0', 'template1'];

export function targetVariable(name: string, role: 'apply' | 'read' = 'apply'): string {
  return `SCHEMAWRIGHT_TARGET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${role === 'read' ? 'READ_URL' : 'URL'}`;
}

function howToConfigure(name: string): string {
  return `name it under targets in the approval policy (SCHEMAWRIGHT_POLICY; it is then the database '${name}' on the store's server), or set ${targetVariable(name)}=postgres://user:password@host:port/database where requests are started and where the workers run`;
}

/**
 * Why a request may not name `name` as its target, or undefined when it may: checked at kickoff,
 * where the policy is known. `storeDatabase` is the store's own database on its server.
 */
export function targetProblem(
  name: string,
  policyTargets: readonly string[],
  storeDatabase: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const configured = Boolean(env[targetVariable(name)]);
  if (!configured && name === storeDatabase)
    return `target '${name}' is the project store's own database, which is never a target: choose another target`;
  if (!configured && MAINTENANCE_DATABASES.includes(name))
    return `target '${name}' is a PostgreSQL maintenance database, not a target: choose another target, or set ${targetVariable(name)} if you mean it`;
  if (!configured && !policyTargets.includes(name))
    return `target '${name}' is not configured: ${howToConfigure(name)}`;
  return undefined;
}

/** The variable of a server whose databases a target group matches (config/target-groups.ts). */
export function serverVariable(server: string): string {
  return `SCHEMAWRIGHT_SERVER_${server.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/** A group's `<server>/<database>` target: the server variable's URL with the database swapped in. */
function serverTargetUrl(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env[targetVariable(name)]) return undefined;
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const database = name.slice(slash + 1);
  const url = env[serverVariable(name.slice(0, slash))];
  if (!url)
    throw new TargetNotFoundError(
      `target '${name}' is a database of the group server '${name.slice(0, slash)}', which has no connection: set ${serverVariable(name.slice(0, slash))} where the workers run`,
    );
  if (MAINTENANCE_DATABASES.includes(database))
    throw new TargetNotFoundError(`target '${name}' is a PostgreSQL maintenance database, not a target`);
  return databaseUrl(url, database);
}

export function resolveTarget(name: string, env: NodeJS.ProcessEnv = process.env): Target {
  const applier = serverTargetUrl(name, env) ?? env[targetVariable(name)];
  const reader = env[targetVariable(name, 'read')];
  if (reader && !applier)
    throw new TargetNotFoundError(
      `target '${name}' has a reader (${targetVariable(name, 'read')}) but no applier: set ${targetVariable(name)} too`,
    );
  if (!applier && !env.DATABASE_URL)
    throw new TargetNotFoundError(
      `target '${name}' has no connection: set ${targetVariable(name)} (or DATABASE_URL for targets on the store's server)`,
    );
  if (!applier && MAINTENANCE_DATABASES.includes(name))
    throw new TargetNotFoundError(
      `target '${name}' is a PostgreSQL maintenance database, not a target: set ${targetVariable(name)} if you mean it`,
    );
  const connectionString = applier ?? databaseUrl(env.DATABASE_URL!, name);
  const readConnectionString = reader ?? connectionString;
  if (
    env.DATABASE_URL &&
    [connectionString, readConnectionString].some((url) => sameDatabase(url, env.DATABASE_URL!))
  ) {
    throw new TargetNotFoundError(
      `target '${name}' is the project store's own database, which is never a target: point ${targetVariable(name)} at another database`,
    );
  }
  return { name, connectionString, readConnectionString };
}

/** Same server and database, as far as the URLs tell: a target that is the store would let a request rewrite the audit log. */
function sameDatabase(a: string, b: string): boolean {
  const parts = (url: string) => {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') ?? parsed.hostname;
    return {
      host: ['localhost', '127.0.0.1', '[::1]', '::1', ''].includes(host.toLowerCase()) ? 'local' : host.toLowerCase(),
      port: parsed.port || parsed.searchParams.get('port') || '5432',
      database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username),
    };
  };
  try {
    const [x, y] = [parts(a), parts(b)];
    return x.host === y.host && x.port === y.port && x.database === y.database;
  } catch {
    return false;
  }
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
