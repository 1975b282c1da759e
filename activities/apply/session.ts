import { setTimeout as delay } from 'node:timers/promises';
import type { Client, QueryResult } from 'pg';
import { parsePgVersion, type PgVersion } from '../../postgres/pg-version';
import { connectTarget } from '../../postgres/target';
import { checkOut } from '../../postgres/target-pool';
import { ApplyLockBusyError, LockContentionError, type LockEvidence } from './errors';

/** One key per database: advisory locks are scoped to the database, so this is one lock per target. */
export const APPLY_LOCK_KEY = 0x5357_0003;
const LOCK_NOT_AVAILABLE = '55P03';
/** How often a waiting statement is looked at from the observer session to find who blocks it. */
const WATCH_INTERVAL_MS = 50;

export interface SessionOptions {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  /** How long to wait for another runner's apply lock on the same target. */
  applyLockWaitMs: number;
  /** How long a lost connection is retried (with backoff) before the runner stops and a person is asked. */
  reconnectWindowMs: number;
  /** The runner session's `application_name` (default `schemawright-apply`). */
  applicationName?: string;
  /**
   * A new connection rather than a warm one from the target's pool: after a lost connection, an idle
   * one may be as dead (a restarted server) or, behind a cut network, hang where a connect times out.
   */
  fresh?: boolean;
  onRetry: (attempt: number, detail: string) => void;
}

/** The runner's limits where a request sets none: index builds on big tables take a while, lock waits must not. */
export function sessionLimits(limits: Partial<Omit<SessionOptions, 'onRetry'>>): Omit<SessionOptions, 'onRetry'> {
  return {
    lockTimeoutMs: limits.lockTimeoutMs ?? 5_000,
    statementTimeoutMs: limits.statementTimeoutMs ?? 15 * 60_000,
    lockRetries: limits.lockRetries ?? 5,
    applyLockWaitMs: limits.applyLockWaitMs ?? 60_000,
    // A server restart or a failover takes seconds to a minute: worth waiting out rather than asking someone.
    reconnectWindowMs: limits.reconnectWindowMs ?? 120_000,
  };
}

/** SQLSTATEs of a server going away under the session: admin shutdown, crash shutdown, cannot connect now. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03']);
const SOCKET_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * The connection to the target is gone (a cut, a server restart, a terminated backend) rather than a
 * statement refused: what ran on it is known only from the target's history, and a new session may
 * carry on. Class 08 is PostgreSQL's "connection exception".
 */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || SERVER_GONE.has(code) || SOCKET_GONE.has(code)) return true;
  // connectTarget's failure to connect at all; pg's own words for a socket closed under a query.
  if (e.name === 'TargetUnreachableError' || e.name === 'ConnectionLostError') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|not queryable|Connection ended/i.test(message);
}

/** A runner connection, warm (from the target's pool) or not, and how it is given back. */
interface RunnerConnection {
  client: Client;
  /** It served a session before: its backend may have died while it was idle. */
  warm: boolean;
  /** Back to the pool when `clean` and it came from there, else closed. */
  release(clean: boolean): Promise<void>;
}

/** What idle runner connections are named; a session takes its request's name (see lockTarget). */
const IDLE_NAME = 'schemawright-apply (idle)';

const sessionName = (options: SessionOptions) => options.applicationName ?? 'schemawright-apply';

async function runnerConnection(
  target: { name: string; connectionString: string },
  options: SessionOptions,
): Promise<RunnerConnection> {
  const pooled = options.fresh
    ? undefined
    : await checkOut(target.connectionString, { applicationName: IDLE_NAME, shown: `target '${target.name}'` });
  if (pooled) return pooled;
  // Not from the pool (a reconnect, or every pooled one taken): named for its request from the start, closed at the end.
  const client = await connectTarget(target.connectionString, {
    applicationName: sessionName(options),
    keepAlive: true,
    name: target.name,
  });
  return { client, warm: false, release: () => client.end().catch(() => undefined) };
}

/**
 * The runner's connection to one target: per-statement timeouts, the target's apply lock held for
 * the whole run, and lock-timeout retries with evidence of who blocks. A second connection (the
 * observer) reads pg_locks while a statement waits, because afterwards the wait has left no trace;
 * it opens on the first wait, which most runs never have. The runner's connection is a warm one of
 * the target's pool, given back reset when the session ends cleanly.
 */
export class TargetSession {
  private pid = 0;
  private observing?: Promise<Client>;
  private closed = false;

  private constructor(
    private readonly connection: RunnerConnection,
    private readonly target: { name: string; connectionString: string },
    readonly options: SessionOptions,
  ) {}

  get client(): Client {
    return this.connection.client;
  }

  static async open(
    target: { name: string; connectionString: string },
    options: SessionOptions,
  ): Promise<TargetSession> {
    for (;;) {
      const session = new TargetSession(await runnerConnection(target, options), target, options);
      try {
        await session.lockTarget();
        // After the wait for the apply lock, which lock_timeout alone bounds.
        await session.client.query(
          `SET lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs))};
           SET statement_timeout = ${Math.max(0, Math.round(options.statementTimeoutMs))}`,
        );
        return session;
      } catch (error) {
        await session.close();
        // A warm connection whose backend died while idle (a restarted target, a terminated backend):
        // the next, down to a new one, whose failure is what a connect would have said.
        if (!(session.connection.warm && isConnectionLost(error))) throw error;
      }
    }
  }

  /**
   * Waits for the apply lock, in one round trip with what the session needs first. PostgreSQL 14+:
   * a statement whose client died (a killed worker) stops instead of running on, the wait included.
   * A refused lock rolls the settings back with it: the session is closed then anyway.
   */
  private async lockTarget(): Promise<void> {
    try {
      // Named first: a session waiting for the lock or holding it is found by its request's name.
      const results = (await this.client.query(
        `SELECT set_config('application_name', ${this.client.escapeLiteral(sessionName(this.options))}, false);
         SET lock_timeout = ${Math.max(1, Math.round(this.options.applyLockWaitMs))};
         SELECT set_config('client_connection_check_interval', '1000', false) WHERE current_setting('server_version_num')::int >= 140000;
         SELECT pg_backend_pid() AS pid;
         SELECT pg_advisory_lock(${APPLY_LOCK_KEY})`,
      )) as unknown as QueryResult<{ pid: number }>[];
      this.pid = results[3]!.rows[0]!.pid;
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
      const holder = await this.observe()
        .then((observer) =>
          observer.query<{ pid: number; application_name: string; backend_start: Date }>(
            `SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [APPLY_LOCK_KEY],
          ),
        )
        .then(
          ({ rows }) =>
            rows[0]
              ? `pid ${rows[0].pid}, ${rows[0].application_name || 'no application name'}, connected since ${rows[0].backend_start.toISOString()}`
              : 'a session that has just ended',
          (lookup: unknown) => `a session that could not be looked up (${(lookup as Error).message})`,
        );
      throw new ApplyLockBusyError(this.target.name, this.options.applyLockWaitMs, holder);
    }
  }

  /** The observer connection, opened on first use. */
  private observe(): Promise<Client> {
    this.observing ??= connectTarget(this.target.connectionString, {
      applicationName: 'schemawright-apply-observer',
      keepAlive: true,
      name: this.target.name,
    });
    return this.observing;
  }

  /**
   * Runs `attempt` until it does not time out on a lock: up to `lockRetries` retries with growing
   * backoff, then LockContentionError with who blocked.
   */
  async withLockRetries<T>(step: string, attempt: () => Promise<T>): Promise<T> {
    let evidence: LockEvidence | undefined;
    for (let tries = 1; ; tries++) {
      const watch = this.watchLockWaits();
      try {
        return await attempt();
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
        evidence = (await watch.stop()) ?? evidence;
        if (tries > this.options.lockRetries)
          throw new LockContentionError(step, tries, this.options.lockTimeoutMs, evidence);
        const backoffMs = Math.min(10_000, 250 * 2 ** (tries - 1)) * (0.5 + Math.random() / 2);
        this.options.onRetry(
          tries,
          `lock not granted within ${this.options.lockTimeoutMs} ms${evidence ? ` (${evidence.wantedMode} on ${evidence.relation ?? evidence.lockType}, blocked by pid ${evidence.blockers.map((b) => b.pid).join(', ')})` : ''}; retry ${tries} of ${this.options.lockRetries} in ${Math.round(backoffMs)} ms`,
        );
        await delay(backoffMs);
      } finally {
        await watch.stop();
      }
    }
  }

  /** Looks at the runner's backend while a statement runs; returns the last wait seen. */
  private watchLockWaits(): { stop(): Promise<LockEvidence | undefined> } {
    let evidence: LockEvidence | undefined;
    // Stopping cuts the pause short: a fast statement must not wait for the watcher.
    const stopped = new AbortController();
    const loop = (async () => {
      while (!stopped.signal.aborted) {
        const paused = await delay(WATCH_INTERVAL_MS, true, { signal: stopped.signal }).catch(() => false);
        if (!paused) break;
        evidence = (await this.blockersOf(this.pid).catch(() => undefined)) ?? evidence;
      }
    })();
    return {
      async stop() {
        stopped.abort();
        await loop;
        return evidence;
      },
    };
  }

  private async blockersOf(pid: number): Promise<LockEvidence | undefined> {
    const { rows } = await (await this.observe()).query<{
      locktype: string;
      wanted: string;
      relation: string | null;
      pid: number;
      application_name: string;
      state: string | null;
      query: string;
      modes: string[] | null;
      xact_start: Date | null;
    }>(
      `SELECT w.locktype, w.mode AS wanted, w.relation::regclass::text AS relation, b.pid, a.application_name, a.state,
              left(a.query, 300) AS query, a.xact_start,
              (SELECT array_agg(DISTINCT h.mode ORDER BY h.mode) FROM pg_locks h
                WHERE h.pid = b.pid AND h.granted AND h.locktype = w.locktype AND h.relation IS NOT DISTINCT FROM w.relation) AS modes
         FROM pg_locks w
         CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid)
         JOIN pg_stat_activity a ON a.pid = b.pid
        WHERE w.pid = $1 AND NOT w.granted`,
      [pid],
    );
    if (rows.length === 0) return undefined;
    return {
      relation: rows[0].relation,
      lockType: rows[0].locktype,
      wantedMode: rows[0].wanted,
      blockers: rows.map((r) => ({
        pid: r.pid,
        applicationName: r.application_name,
        state: r.state,
        query: r.query,
        modes: r.modes ?? [],
        transactionStartedAt: r.xact_start?.toISOString() ?? null,
      })),
    };
  }

  /** Runs `work` in a transaction on the runner's connection: committed if it returns, rolled back if it throws. */
  async pgVersion(): Promise<PgVersion> {
    return parsePgVersion(
      (await this.client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
    );
  }

  async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const result = await work();
      await this.client.query('COMMIT');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Releases the apply lock and ends the session: its connection goes back to the pool reset when
   * `clean` (the run ended as it should, nothing open), else it is closed, which releases the lock too.
   * Closes the observer. A second close does nothing.
   */
  async close({ clean = false }: { clean?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The reset of a clean release does it; else before the end, so the lock is free when close returns.
    if (!clean) await this.client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    const observer = this.observing?.then(
      (client) => client.end(),
      () => undefined,
    );
    await Promise.all([this.connection.release(clean), observer?.catch(() => undefined)]);
  }
}
