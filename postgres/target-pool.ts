import { Pool, type PoolClient } from 'pg';
import { connectionFailure } from './target';

/**
 * Warm connections to targets, per process and per connection string: the apply runner's session
 * otherwise pays a new backend (fork, authentication) and its cold catalog caches on every request.
 * Few and short-lived, so idle backends do not linger on production targets.
 */
const pools = new Map<string, Pool>();
const POOL_SIZE = 4;
const IDLE_MS = 30_000;

/**
 * Everything a session can have set, undone in one round trip before its connection goes back:
 * settings (application_name returns to the pool's), role, cursors, listens, advisory locks (the
 * apply lock), temporary tables, cached plans and sequence state. Not DISCARD ALL: its DEALLOCATE ALL
 * would drop the named prepared statements node-pg remembers on the client.
 */
const RESET = `CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all();
  DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES`;

/** A connection from a target's pool, and whether it served a session before (then its backend may have died while idle). */
export interface PooledConnection {
  client: PoolClient;
  warm: boolean;
  /** Back to the pool after the reset when `clean` (no transaction open, no error seen), else closed. */
  release(clean: boolean): Promise<void>;
}

/** Clients that went back to their pool: a checkout of one is warm. */
const returned = new WeakSet<PoolClient>();

function poolOf(connectionString: string, applicationName: string): Pool {
  let pool = pools.get(connectionString);
  if (!pool) {
    pool = new Pool({
      connectionString,
      application_name: applicationName,
      max: POOL_SIZE,
      idleTimeoutMillis: IDLE_MS,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      // A process that applied (a test, a bench) is not kept alive by idle ones; the worker ends them at shutdown.
      allowExitOnIdle: true,
    });
    // An idle client whose target restarted: the pool drops it; the process carries on.
    pool.on('error', () => undefined);
    pools.set(connectionString, pool);
  }
  return pool;
}

/**
 * A connection to the target at `connectionString` from its pool (see connectTarget for the errors
 * of one that cannot be opened; `shown` names the target in them), or nothing when every one the pool
 * may hold is taken: the caller connects on its own then, since a wait in the pool's queue would not
 * show on the target (as a wait for a lock does) and would end as a connect timeout.
 */
export async function checkOut(
  connectionString: string,
  options: { applicationName: string; shown: string },
): Promise<PooledConnection | undefined> {
  const pool = poolOf(connectionString, options.applicationName);
  // Idle ones and room for new ones, less those already promised to checkouts under way.
  if (pool.idleCount + (POOL_SIZE - pool.totalCount) <= pool.waitingCount) return undefined;
  const client = await pool.connect().catch((error: unknown) => {
    throw connectionFailure(error, options.shown);
  });
  const warm = returned.has(client);
  // Checked out, a client has no listener of pg's: one lost between queries must not crash the process.
  let failed = false;
  const onError = () => {
    failed = true;
  };
  client.on('error', onError);
  return {
    client,
    warm,
    async release(clean) {
      client.removeListener('error', onError);
      const reusable = clean && !failed && client.getTransactionStatus() === 'I';
      const reset = reusable
        ? await client.query(RESET).then(
            () => undefined,
            (error: Error) => error,
          )
        : true;
      if (reset === undefined) returned.add(client);
      client.release(reset);
    },
  };
}

/** Closes every pool's idle connections (worker shutdown); a session still out closes its own on release. */
export async function endTargetPools(): Promise<void> {
  const ending = [...pools.values()];
  pools.clear();
  await Promise.all(ending.map((pool) => pool.end().catch(() => undefined)));
}
