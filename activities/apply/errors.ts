/**
 * The runner's errors. Each sets `name`, because Temporal matches non-retryable failures by the
 * error's name, and each says what happened and what to do.
 */

/** One session that holds (or held) a lock the runner waited for. */
export interface LockBlocker {
  pid: number;
  applicationName: string;
  state: string | null;
  /** The blocker's current or last statement, cut to 300 characters. */
  query: string;
  /** Lock modes the blocker holds on the relation the runner waited for. */
  modes: string[];
  transactionStartedAt: string | null;
}

export interface LockEvidence {
  /** The relation the runner waited for, `schema.table`, or null for a non-relation lock. */
  relation: string | null;
  lockType: string;
  wantedMode: string;
  blockers: LockBlocker[];
}

export class LockContentionError extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    readonly lockTimeoutMs: number,
    readonly evidence: LockEvidence | undefined,
    /** What the target holds after the stop (stop-report.ts); unset: nothing of the step ran. */
    readonly onTarget?: string,
  ) {
    const who = evidence?.blockers.length
      ? // The blockers' SQL stays in the evidence: this message reaches workflow history, Slack and mail, and SQL can carry secrets.
        evidence.blockers
          .map(
            (b) =>
              `pid ${b.pid} (${b.applicationName || 'no application name'}, ${b.state ?? 'unknown state'}, holding ${b.modes.join('/') || 'a conflicting lock'})`,
          )
          .join('; ')
      : 'a session that was gone before it could be identified';
    const what = evidence ? `${evidence.wantedMode} on ${evidence.relation ?? evidence.lockType}` : 'a lock';
    super(
      `Step ${step} could not get ${what} within ${lockTimeoutMs} ms, ${attempts} times: blocked by ${who}. ` +
        `${onTarget ?? 'Nothing of this step was applied.'} Wait for or end the blocking transaction (pg_cancel_backend / pg_terminate_backend on its pid), or apply in a quieter window, then run the migration again.`,
    );
    this.name = 'LockContentionError';
  }
}

export class MigrationChecksumError extends Error {
  constructor(
    readonly version: string,
    readonly step: string,
    readonly recorded: string,
    readonly current: string,
    readonly file?: string,
  ) {
    super(
      `Step ${step} of migration ${version}${file ? ` (${file})` : ''} was applied with checksum ${recorded}, but its SQL now has checksum ${current}: ` +
        'an applied migration was edited. It is not re-run. Restore the applied SQL and put the change in a new migration.',
    );
    this.name = 'MigrationChecksumError';
  }
}

/** The database's own account of a failed statement. */
export interface DatabaseError {
  message: string;
  code?: string;
  /** 1-based character offset in the step's SQL, as PostgreSQL reports it, and its line and column. */
  position?: number;
  line?: number;
  column?: number;
  detail?: string;
  hint?: string;
}

/** The database's error as MigrationFailedError carries it, with the line and column in `sql`. */
export function databaseErrorOf(error: unknown, sql: string): DatabaseError {
  const e = error as { message: string; code?: string; position?: string; detail?: string; hint?: string };
  const position = Number(e.position);
  const before = position ? sql.slice(0, position - 1).split('\n') : [];
  return {
    message: e.message,
    ...(e.code && e.code !== 'verify' ? { code: e.code } : {}),
    ...(position ? { position, line: before.length, column: before[before.length - 1].length + 1 } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
  };
}

export class MigrationFailedError extends Error {
  constructor(
    readonly version: string,
    readonly step: string,
    readonly databaseError: DatabaseError,
    /** Steps of this migration applied and still in place. */
    readonly applied: string[],
    /** Steps undone after the failure, newest first. */
    readonly undone: string[],
    /** Steps not applied (the failed one and those after it). */
    readonly remaining: string[],
    readonly outcome: string,
    /** What the target holds after the stop (stop-report.ts). */
    readonly onTarget?: string,
  ) {
    const where = databaseError.line ? ` at line ${databaseError.line}, column ${databaseError.column}` : '';
    const code = databaseError.code ? ` [${databaseError.code}]` : '';
    // DETAIL often quotes row values (`Key (email)=(ann@…) already exists`): it stays in databaseError,
    // out of the message, which reaches workflow history, Slack and email.
    const hint = databaseError.hint ? ` (Hint: ${databaseError.hint})` : '';
    super(
      `Step ${step} of migration ${version} failed${where}: ${databaseError.message}${code}${hint}. ${outcome}${onTarget ? ` ${onTarget}` : ''}`,
    );
    this.name = 'MigrationFailedError';
  }
}

/** Another runner holds the target's apply lock for longer than we wait. */
export class ApplyLockBusyError extends Error {
  constructor(target: string, waitedMs: number, holder: string) {
    super(
      `Another migration run holds the apply lock of ${target} (${holder}); waited ${waitedMs} ms. Let it finish, or end that session if it is stuck, then run again.`,
    );
    this.name = 'ApplyLockBusyError';
  }
}

/**
 * A statement failed and the session turned out dead (a probe failed too), though the error did not
 * say so: the runner treats it as the lost connection it is and reconnects.
 */
export class ConnectionLostError extends Error {
  constructor(cause: unknown) {
    super(`the connection to the target was lost: ${(cause as Error).message}`, { cause });
    this.name = 'ConnectionLostError';
  }
}
