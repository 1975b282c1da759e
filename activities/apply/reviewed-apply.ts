import { Context } from '@temporalio/activity';
import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import { resolveTarget } from '../../config/targets';
import { readFingerprint } from '../../postgres/introspection';
import { connectTarget } from '../../postgres/target';
import type { Migration } from '../../artifacts/migration';
import type { ArtifactRef } from '../../store/artifacts';
import type {
  ApplyReviewedInput,
  ApplyReviewedOutcome,
  RenderInput,
  RequestActivities,
  VerifyOutcome,
} from '../contracts';
import { applyMigrations, LockContentionError, MigrationFailedError, runRevert } from '.';
import { HISTORY_TABLE } from './history';
import { APPLY_LOCK_KEY, type TargetSession } from './session';
import { runOnTarget, verifyOn } from './activity';
import { heartbeating } from '../heartbeat';

/** Renders and stores the chosen migrations, and returns them with their ref (activities/review's renderChosen). */
export type RenderChosen = (input: RenderInput) => Promise<{ migrations: Migration[]; migration: ArtifactRef }>;

/** The runner session's name on the target: a stalled attempt of this request is found by it. */
export function applySessionName(requestId: string): string {
  return `schemawright-apply ${requestId}`;
}

/** The request whose runner holds the lock, from its session's name; another tool's session as it is named. */
function holderOf(applicationName: string): string {
  const prefix = applySessionName('');
  return applicationName.startsWith(prefix)
    ? `request ${applicationName.slice(prefix.length)}`
    : `session '${applicationName || 'unnamed'}'`;
}

/** How often a runner waiting for the apply lock looks at who holds it. */
const LOCK_WATCH_INTERVAL_MS = 250;

/** Thrown under the lock when the target is not the schema that was reviewed: nothing has run. */
class DriftedError extends Error {
  constructor(readonly current: string) {
    super(`the target's schema is ${current}, not the one reviewed`);
  }
}

/**
 * Render, check and apply in one: under the runner's advisory lock and in the session that applies,
 * the target's fingerprint is compared with the reviewed one, so nothing can change between check
 * and apply; a drift comes back as such with nothing run. Then the steps, and the verification.
 */
export function createReviewedApply(store: Pool, render: RenderChosen): RequestActivities['applyReviewed'] {
  return (input) => heartbeating((progress) => applyReviewed(store, render, input, progress));
}

async function applyReviewed(
  store: Pool,
  render: RenderChosen,
  input: ApplyReviewedInput,
  progress: (detail: unknown) => void,
): Promise<ApplyReviewedOutcome> {
  const context = Context.current();
  const target = resolveTarget(input.target).connectionString;
  const sessionName = applySessionName(input.requestId);
  // A heartbeat that timed out made Temporal start this attempt: the old one's session is ended
  // (its transaction rolls back, an interrupted step is made safe by the runner), then the lock is ours to wait for.
  if (context.info.attempt > 1) await endSessionsNamed(target, input.target, sessionName);
  // Cancelled (its heartbeat timed out, and it learnt so): this attempt ends its own session, which frees the lock for its retry.
  context.cancelled.catch(() => endSessionsNamed(target, input.target, sessionName).catch(() => undefined));

  const chosen = await render(input.render satisfies RenderInput);
  let atStop: string | undefined;
  const watch = watchLockHolder(target, input.target, sessionName, progress);
  let checked = false;
  const underLock = async (session: TargetSession) => {
    await watch.stop();
    // A reconnect or a retry after this check passed and steps were applied: its own steps changed the schema.
    if ((checked || context.info.attempt > 1) && (await ownStepsRecorded(session, input.requestId))) return;
    const current = await readFingerprint(session.client);
    if (current !== input.fingerprint) throw new DriftedError(current);
    checked = true;
  };
  // The check after, in the same session before the lock is released: it sees what this run left, and
  // reads the schema it leaves there instead of on new connections.
  let verified: VerifyOutcome | undefined;
  const beforeRelease = async (session: TargetSession) => {
    verified = await verifyOn(session.client, chosen.migrations);
  };
  const onStopped = async (session: TargetSession, error: unknown) => {
    if (!(error instanceof LockContentionError || error instanceof MigrationFailedError)) return;
    atStop = await readFingerprint(session.client).catch(() => undefined);
  };
  try {
    const applied = await runOnTarget(
      store,
      { ...input, migration: chosen.migration },
      chosen.migrations,
      input.revert ? runRevert : applyMigrations,
      progress,
      { underLock, beforeRelease, onStopped, applicationName: sessionName },
      () => (atStop ? { fingerprint: atStop } : {}),
    );
    return {
      drifted: false,
      applied,
      // Set: the runner calls beforeRelease before it returns.
      verified: verified!,
      artifacts: { 'render-migration': chosen.migration },
    };
  } catch (error) {
    if (error instanceof DriftedError) return { drifted: true, current: error.current };
    throw error;
  } finally {
    await watch.stop();
  }
}

async function ownStepsRecorded(session: TargetSession, requestId: string): Promise<boolean> {
  const { rows } = await session.client.query<{ table: string | null }>(`SELECT to_regclass($1)::text AS table`, [
    HISTORY_TABLE,
  ]);
  if (!rows[0].table) return false;
  const own = await session.client.query(`SELECT 1 FROM ${HISTORY_TABLE} WHERE request_id = $1 LIMIT 1`, [requestId]);
  return own.rowCount !== 0;
}

async function endSessionsNamed(connectionString: string, name: string, sessionName: string): Promise<void> {
  const client = await connectTarget(connectionString, { name, applicationName: `${sessionName} (ending)` });
  try {
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`,
      [sessionName],
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * While the runner waits for the target's apply lock, heartbeats who holds it, so the request's
 * status can say what it waits for (approvals/apply-wait.ts).
 */
function watchLockHolder(
  connectionString: string,
  name: string,
  own: string,
  progress: (detail: unknown) => void,
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const pause = () => delay(LOCK_WATCH_INTERVAL_MS, undefined, { signal: stopping.signal });
  const loop = (async () => {
    // Most applies get the lock at once: the watcher connects only when the wait outlasts one interval,
    // and stopping it ends its pause at once (the apply waits for it).
    await pause();
    const client = await connectTarget(connectionString, { name, applicationName: `${own} (watching the lock)` });
    try {
      while (!stopping.signal.aborted) {
        const { rows } = await client.query<{ application_name: string }>(
          `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [APPLY_LOCK_KEY],
        );
        const holder = rows[0]?.application_name;
        if (!stopping.signal.aborted && holder !== undefined && holder !== own)
          progress({ waitingFor: 'apply-lock', heldBy: holderOf(holder) });
        await pause();
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  })().catch(() => undefined);
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
