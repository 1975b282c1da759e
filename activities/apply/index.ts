import type { Migration, MigrationStep } from '../../artifacts/migration';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConnectionLostError,
  databaseErrorOf,
  LockContentionError,
  MigrationChecksumError,
  MigrationFailedError,
} from './errors';
import { ensureHistoryTable, readHistory, recordStep, stepChecksum, type HistoryRow } from './history';
import { isConnectionLost, sessionLimits, TargetSession } from './session';
import { stopReport, withStopReport } from './stop-report';
import { STEP_KINDS, type StepContext } from './steps';

export { ApplyLockBusyError, LockContentionError, MigrationChecksumError, MigrationFailedError } from './errors';
export type { DatabaseError, LockBlocker, LockEvidence } from './errors';
export { HISTORY_TABLE, canonicalSql, stepChecksum } from './history';
export { STEP_KINDS } from './steps';
export type { StepKindRunner, StepPlan } from './steps';

export interface ApplyTarget {
  name: string;
  connectionString: string;
}

export type ApplyProgressStatus = 'started' | 'progress' | 'applied' | 'skipped' | 'retrying' | 'failed';

export interface ApplyProgress {
  /** The migration the step belongs to: step names repeat across migrations. */
  version: string;
  step: string;
  /** 1-based position of the step in the migration. */
  index: number;
  of: number;
  status: ApplyProgressStatus;
  detail?: string;
}

export interface ApplyOptions {
  requestId: string;
  /** The people whose decisions allowed this apply: recorded with each step. */
  decidedBy: string[];
  onProgress?: (event: ApplyProgress) => void;
  /** Longest wait for a table lock, per statement (default 5 s). */
  lockTimeoutMs?: number;
  /** Longest run of one statement (default 15 min: index builds on big tables take a while). */
  statementTimeoutMs?: number;
  /** Retries after a lock timeout before giving up with LockContentionError (default 5). */
  lockRetries?: number;
  /** Longest wait for another runner on the same target to finish (default 60 s). */
  applyLockWaitMs?: number;
  /** How long a lost connection to the target is retried before the runner stops (default 2 min). */
  reconnectWindowMs?: number;
  /**
   * Runs after each migration's steps are applied (or found applied), in the runner's session under
   * the apply lock: a revert records there what its down undid. Must be safe to run again.
   */
  afterMigration?: (session: TargetSession, migration: Migration) => Promise<void>;
  /**
   * Runs first in the runner's session, once it holds the apply lock, and again after every reconnect:
   * what it finds there (the reviewed schema) nothing else can change before the steps run. Throwing
   * stops the run before any step.
   */
  underLock?: (session: TargetSession) => Promise<void>;
  /**
   * Runs once every migration is applied, in the runner's session still under the apply lock (after a
   * reconnect, in the new session): a check made there sees what the run left and nothing since.
   */
  beforeRelease?: (session: TargetSession) => Promise<void>;
  /** Runs in the runner's session, still under the apply lock, when the run stops with `error`. */
  onStopped?: (session: TargetSession, error: unknown) => Promise<void>;
  /** Names the runner's sessions (`application_name`), so a stalled attempt's session can be found. */
  applicationName?: string;
}

export interface StepResult {
  step: string;
  status: 'applied' | 'already-applied';
  checksum: string;
  durationMs: number;
}

export interface ApplyResult {
  steps: number;
  applied: number;
  alreadyApplied: number;
  durationMs: number;
  results: StepResult[];
}

/**
 * Applies a migration's steps to a target exactly once: steps already recorded in the target's
 * history are skipped (after checking their checksums), an interrupted step is made safe and
 * retried, a failed step undoes the completed steps of the migration where each has an undo.
 * Holds the target's apply lock for the whole run.
 */
export async function applyMigration(
  target: ApplyTarget,
  migration: Migration,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const [result] = await applyMigrations(target, [migration], options);
  return result;
}

/** What one call of the runner saw of its own steps, kept across reconnects. */
interface RunState {
  /** `version/step` of steps this run started: found applied after a reconnect, they are this run's. */
  started: Set<string>;
  /** Steps this run saw applied, with their results: not applied, audited or counted twice. */
  applied: Map<string, StepResult>;
  /** The last progress seen of each step (backfill batches), for the stop report. */
  progress: Map<string, string>;
  /** The step under way, when the connection was lost. */
  current?: { migration: Migration; index: number };
}

const stepKey = (version: string, step: string) => `${version}/${step}`;

/**
 * Several migrations in order, in one session under one hold of the target's apply lock. A lost
 * connection (a cut, a server restart, a terminated backend) is retried with growing backoff for up
 * to `reconnectWindowMs`: the new session reads the target's history again, so a step that committed
 * is not run twice and one that did not runs again. A stop a person must weigh says what the target
 * holds (see stop-report.ts).
 */
export async function applyMigrations(
  target: ApplyTarget,
  migrations: Migration[],
  options: ApplyOptions,
): Promise<ApplyResult[]> {
  const current: { emit: (status: ApplyProgressStatus, detail?: string) => void } = { emit: () => undefined };
  const limits = sessionLimits(options);
  const run: RunState = { started: new Set(), applied: new Map(), progress: new Map() };
  const results: ApplyResult[] = [];
  let connected = false;
  // The outage under way: when it began and how many reconnects it took so far (backoff grows with them).
  let lostSince: number | undefined;
  let reconnects = 0;
  for (;;) {
    let session: TargetSession | undefined;
    try {
      session = await TargetSession.open(target, {
        ...limits,
        applicationName: options.applicationName,
        fresh: lostSince !== undefined,
        onRetry: (_attempt, detail) => current.emit('retrying', detail),
      });
      connected = true;
      lostSince = undefined;
      reconnects = 0;
      await options.underLock?.(session);
      await ensureHistoryTable(session.client);
      while (results.length < migrations.length) {
        const migration = migrations[results.length];
        const result = await applyOn(session, migration, options, current, run);
        await options.afterMigration?.(session, migration);
        results.push(result);
      }
      await options.beforeRelease?.(session);
      await session.close({ clean: true });
      return results;
    } catch (error) {
      // A target never reached is a configuration matter for whoever started this, not a lost connection.
      if (!connected || !isConnectionLost(error)) {
        if (session) await options.onStopped?.(session, error);
        if (error instanceof LockContentionError || error instanceof MigrationFailedError)
          throw withStopReport(error, await stopReport(target, session, migrations, error.step, run.progress));
        throw error;
      }
      lostSince ??= Date.now();
      const left = limits.reconnectWindowMs - (Date.now() - lostSince);
      if (left <= 0) {
        await session?.close();
        session = undefined;
        throw await connectionLostStop(target, migrations, error, limits.reconnectWindowMs, run);
      }
      reconnects += 1;
      const backoffMs = Math.min(
        left,
        Math.min(10_000, 100 * 2 ** Math.min(reconnects - 1, 10)) * (0.5 + Math.random() / 2),
      );
      current.emit(
        'retrying',
        `the connection to the target was lost (${(error as Error).message}); reconnecting in ${Math.round(backoffMs)} ms (reconnect ${reconnects}), then reading its history again`,
      );
      await session?.close();
      session = undefined;
      await delay(backoffMs);
    } finally {
      await session?.close();
    }
  }
}

/** The stop after the reconnect window ran out: a failed step whose message says what the target holds. */
async function connectionLostStop(
  target: ApplyTarget,
  migrations: Migration[],
  error: unknown,
  windowMs: number,
  run: RunState,
): Promise<MigrationFailedError> {
  // Lost before any step began (opening the session, the history table): the first step is next.
  const { migration, index } = run.current ?? { migration: migrations[0], index: 0 };
  const step = migration.steps[index];
  const stopped = new MigrationFailedError(
    migration.version,
    step.name,
    databaseErrorOf(error, step.sql),
    // The runner goes in order: the steps before this one are applied.
    migration.steps.slice(0, index).map((s) => s.name),
    [],
    migration.steps.slice(index).map((s) => s.name),
    `The connection to the target was lost and not regained within ${Math.round(windowMs / 1000)} s, so nothing was undone.`,
  );
  return withStopReport(stopped, await stopReport(target, undefined, migrations, step.name, run.progress));
}

async function applyOn(
  session: TargetSession,
  migration: Migration,
  options: ApplyOptions,
  current: { emit: (status: ApplyProgressStatus, detail?: string) => void },
  run: RunState,
): Promise<ApplyResult> {
  const started = performance.now();
  const of = migration.steps.length;
  const names = migration.steps.map((s) => s.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate)
    throw new Error(
      `Migration ${migration.version} has two steps named ${duplicate}: step names identify steps in the history, give each a unique one.`,
    );
  const emit = (index: number, step: string, status: ApplyProgressStatus, detail?: string) =>
    options.onProgress?.({
      version: migration.version,
      step,
      index: index + 1,
      of,
      status,
      ...(detail ? { detail } : {}),
    });
  const history = new Map((await readHistory(session.client, migration.version)).map((row) => [row.step, row]));
  const checksums = migration.steps.map((step) => stepChecksum(step.sql));
  const changed = migration.steps.findIndex(
    (step, i) => history.get(step.name)?.status === 'applied' && history.get(step.name)?.checksum !== checksums[i],
  );
  // A repeatable migration runs again when it changed; any other is refused before anything of it runs.
  if (changed >= 0 && migration.repeatable) history.clear();
  else if (changed >= 0) {
    const step = migration.steps[changed];
    throw new MigrationChecksumError(
      migration.version,
      step.name,
      (history.get(step.name) as HistoryRow).checksum,
      checksums[changed],
      migration.source,
    );
  }

  const results: StepResult[] = [];
  for (const [i, step] of migration.steps.entries()) {
    run.current = { migration, index: i };
    current.emit = (status, detail) => emit(i, step.name, status, detail);
    const row = history.get(step.name);
    const key = stepKey(migration.version, step.name);
    if (row?.status === 'applied') {
      const ours = run.applied.get(key);
      if (ours) results.push(ours);
      else if (run.started.has(key)) {
        // Committed before the connection was lost, its reply never came: applied by this run, said once.
        const result: StepResult = { step: step.name, status: 'applied', checksum: checksums[i], durationMs: 0 };
        run.applied.set(key, result);
        results.push(result);
        emit(i, step.name, 'applied', 'committed before the connection was lost (read from the history table)');
      } else {
        results.push({ step: step.name, status: 'already-applied', checksum: checksums[i], durationMs: 0 });
        emit(i, step.name, 'skipped', 'already applied');
      }
      continue;
    }
    const context = stepContext(session, migration, step, checksums[i], options, (detail) => {
      run.progress.set(key, detail);
      emit(i, step.name, 'progress', detail);
    });
    const runner = STEP_KINDS[step.kind];
    emit(i, step.name, 'started', runner.plan(step).how);
    const stepStarted = performance.now();
    run.started.add(key);
    // A step with an earlier attempt (crash, failure) or a timed-out one is made safe before it runs.
    let interrupted = row !== undefined && row.status !== 'undone';
    try {
      const outcome = await session.withLockRetries(step.name, async () => {
        if (interrupted) {
          const safe = await runner.makeRetrySafe(context);
          if (safe.detail) emit(i, step.name, 'retrying', safe.detail);
          if (safe.done) {
            await recordStep(session.client, { ...context.record, startedAt: new Date(), status: 'applied' });
            return { detail: safe.detail };
          }
        }
        interrupted = true;
        return runner.apply(context);
      });
      const problem = await runner.verify(context);
      if (problem) throw Object.assign(new Error(problem), { code: 'verify' });
      const durationMs = Math.round(performance.now() - stepStarted);
      const result: StepResult = { step: step.name, status: 'applied', checksum: checksums[i], durationMs };
      run.applied.set(key, result);
      results.push(result);
      emit(i, step.name, 'applied', outcome.detail);
    } catch (error) {
      // Lost with the connection: a new session reads the history and carries on from what committed.
      if (isConnectionLost(error)) throw error;
      if (await connectionLost(session)) throw new ConnectionLostError(error);
      emit(i, step.name, 'failed', (error as Error).message);
      if (error instanceof LockContentionError) throw error;
      throw await failedStep(session, migration, i, error, options);
    }
  }
  const applied = results.filter((r) => r.status === 'applied').length;
  return {
    steps: of,
    applied,
    alreadyApplied: of - applied,
    durationMs: Math.round(performance.now() - started),
    results,
  };
}

function stepContext(
  session: TargetSession,
  migration: Migration,
  step: MigrationStep,
  checksum: string,
  options: ApplyOptions,
  progress: (detail: string) => void,
): StepContext {
  return {
    session,
    step,
    record: {
      version: migration.version,
      name: migration.name,
      step: step.name,
      kind: step.kind,
      checksum,
      requestId: options.requestId,
      decidedBy: options.decidedBy,
    },
    progress,
  };
}

/** The connection is gone (terminated backend, server restart, network): nothing more can run on it. */
async function connectionLost(session: TargetSession): Promise<boolean> {
  return session.client.query('SELECT 1').then(
    () => false,
    () => true,
  );
}

/**
 * After step `failed` threw: records the failure, then undoes the migration's applied steps newest
 * first when every one of them has an undo, else leaves them and says what is applied and what not.
 */
async function failedStep(
  session: TargetSession,
  migration: Migration,
  failed: number,
  error: unknown,
  options: ApplyOptions,
): Promise<MigrationFailedError> {
  const step = migration.steps[failed];
  const cause = databaseErrorOf(error, step.sql);
  const remaining = migration.steps.slice(failed).map((s) => s.name);
  const fail = (applied: string[], undone: string[], outcome: string) =>
    new MigrationFailedError(migration.version, step.name, cause, applied, undone, remaining, outcome);
  const checksum = stepChecksum(step.sql);
  await recordStep(session.client, {
    version: migration.version,
    name: migration.name,
    step: step.name,
    kind: step.kind,
    checksum,
    requestId: options.requestId,
    decidedBy: options.decidedBy,
    startedAt: new Date(),
    status: 'failed',
    error: cause.message,
  });
  const rows = new Map<string, HistoryRow>(
    (await readHistory(session.client, migration.version)).map((row) => [row.step, row]),
  );
  const completed = migration.steps.filter((s) => rows.get(s.name)?.status === 'applied');
  const names = (steps: MigrationStep[]) => steps.map((s) => s.name).join(', ');
  if (completed.length === 0)
    return fail([], [], 'Nothing of this migration is applied. Fix the step and run the migration again.');
  const withoutUndo = completed.filter((s) => !s.undo);
  if (withoutUndo.length > 0) {
    return fail(
      completed.map((s) => s.name),
      [],
      `Nothing was undone, because ${names(withoutUndo)} ${withoutUndo.length === 1 ? 'has' : 'have'} no undo. Applied and still in place: ${names(completed)}. Not applied: ${remaining.join(', ')}. Fix the failed step and run the migration again to go forward, or write the undo and revert by hand.`,
    );
  }
  const undone: string[] = [];
  for (const done of [...completed].reverse()) {
    try {
      await STEP_KINDS[done.kind].undo(
        stepContext(session, migration, done, stepChecksum(done.sql), options, () => undefined),
      );
      undone.push(done.name);
    } catch (undoError) {
      const left = completed.filter((s) => !undone.includes(s.name)).map((s) => s.name);
      return fail(
        left,
        undone,
        `Undoing ${done.name} then failed too: ${(undoError as Error).message}. Undone: ${undone.join(', ') || 'nothing'}. Still applied: ${left.join(', ')}. Fix that undo or revert by hand.`,
      );
    }
  }
  return fail(
    [],
    undone,
    `Undid ${undone.join(', ')} (newest first): the target is as it was before this migration. Fix the step and run the migration again.`,
  );
}
export {
  revertMigrations,
  revertOfRequest,
  revertPlan,
  runRevert,
  RevertRefusedError,
  type RevertResult,
} from './revert';
export { verifyApplied } from './verify';
export {
  compareWithHistory,
  importMigrations,
  pendingOnTarget,
  type EditedMigration,
  type HistoryComparison,
} from './import';
