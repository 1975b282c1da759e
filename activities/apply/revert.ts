import { asScript, type Migration } from '../../artifacts/migration';
import { parseStatements, SqlSyntaxError } from '../../postgres/parse';
import { parsePgVersion, type PgVersion } from '../../postgres/pg-version';
import { privilegedStatements } from '../../postgres/privileged/detector';
import { stepsOfSql } from '../../postgres/steps';
import { withTarget } from '../../postgres/target';
import { MigrationFailedError } from './errors';
import { HISTORY_TABLE, readHistory, stepChecksum, type HistoryRow } from './history';
import { applyMigrations, type ApplyOptions, type ApplyResult, type ApplyTarget } from './index';
import type { TargetSession } from './session';

/**
 * A revert is a migration of its own: each applied migration's down, cut into steps as an up is,
 * applied by the runner under the target's apply lock with a history row per step (so a runner
 * killed at any step neither repeats nor loses one), and the reverted migration's steps marked
 * undone in the same session once its down has run. The down's steps are named after the revert
 * (`revert <id>#n`), so a migration applied again later can be reverted again.
 */
export class RevertRefusedError extends Error {
  constructor(readonly problems: string[]) {
    super(`Nothing was reverted: ${problems.join('; ')}`);
    this.name = 'RevertRefusedError';
  }
}

export interface RevertResult {
  /** Versions reverted, newest first. */
  reverted: string[];
  durationMs: number;
}

/**
 * The downs that take back `migrations` (given in apply order; what of them `history` records applied),
 * newest first. Refuses, with every reason at once, a migration whose down is missing, empty (a down
 * that says "irreversible" in a comment), unparsable, or needs rights beyond the database.
 */
export async function revertPlan(
  migrations: Migration[],
  history: HistoryRow[],
  revertId: string,
  pgVersion: PgVersion,
): Promise<Migration[]> {
  const applied = new Set(history.filter((r) => r.status === 'applied').map((r) => `${r.version}\u0000${r.step}`));
  const plan: Migration[] = [];
  const problems: string[] = [];
  for (const migration of [...migrations].reverse()) {
    const steps = migration.steps.filter((s) => applied.has(`${migration.version}\u0000${s.name}`));
    if (steps.length === 0) continue;
    const file = `${migration.source ?? migration.name} (down)`;
    const down = migration.down ?? undoScript(steps);
    if (down === undefined) {
      const missing = steps.filter((s) => s.undo === undefined).map((s) => s.name);
      problems.push(
        `migration ${migration.version} (${migration.source ?? migration.name}) has no down, and ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no undo: write the down and revert with a change request of it, or change forward`,
      );
      continue;
    }
    const statements = await parseStatements(down, file).catch((error: unknown) => {
      if (!(error instanceof SqlSyntaxError)) throw error;
      problems.push(
        `${error.message.replace(/\. Fix the SQL.*$/, '')}: fix the down of migration ${migration.version}`,
      );
      return undefined;
    });
    if (!statements) continue;
    if (statements.length === 0) {
      problems.push(
        `the down of migration ${migration.version} (${file}) has no statements: its authors marked it irreversible. Change forward with a new request, or restore from a backup`,
      );
      continue;
    }
    const privileged = privilegedStatements(statements);
    if (privileged.length) {
      problems.push(
        `the down of migration ${migration.version} needs rights beyond the database (${privileged.flatMap((p) => p.reasons).join('; ')}): a revert runs only what its review can run on the sandbox. Revert it as a change request of that SQL, which asks about these statements (SW-ESC-PRIVILEGED)`,
      );
      continue;
    }
    plan.push({
      version: migration.version,
      name: `${migration.name} (revert)`,
      steps: await stepsOfSql(`revert ${revertId}`, down, pgVersion, file),
      up: down,
      // The way back from the revert is the migration it takes back: review runs that round trip on the sandbox.
      down: migration.up ?? asScript(steps.map((s) => s.sql)),
      source: file,
      reverts: steps.map((s) => s.name),
    });
  }
  if (problems.length) throw new RevertRefusedError(problems);
  return plan;
}

/** Without a down, the steps' own undos, newest first, are the down, when every step has one. */
function undoScript(steps: Migration['steps']): string | undefined {
  if (steps.some((s) => s.undo === undefined)) return undefined;
  return asScript([...steps].reverse().map((s) => s.undo as string));
}

/**
 * What `requestId` applied must still be there, as it applied it: every step recorded applied by it,
 * with the checksum of the SQL it ran. Anything else (reverted already, applied again by another
 * request, edited) is not this revert's to take back. Returns what differs.
 */
export function appliedByRequestProblems(migrations: Migration[], history: HistoryRow[], requestId: string): string[] {
  const rows = new Map(history.map((r) => [`${r.version}\u0000${r.step}`, r]));
  const problems: string[] = [];
  for (const migration of migrations)
    for (const step of migration.steps) {
      const row = rows.get(`${migration.version}\u0000${step.name}`);
      if (row?.status !== 'applied')
        problems.push(
          `step ${step.name} of migration ${migration.version} is ${row ? row.status : 'not recorded'} in the target's history, so request ${requestId}'s change is no longer there to revert`,
        );
      else if (row.requestId !== requestId)
        problems.push(
          `step ${step.name} of migration ${migration.version} was last applied by request ${row.requestId}, not ${requestId}: revert that one`,
        );
      else if (row.checksum !== stepChecksum(step.sql))
        problems.push(`step ${step.name} of migration ${migration.version} ran other SQL than request ${requestId}'s`);
    }
  return problems;
}

/** The target's history and server version, read as the target's reader. */
export async function historyOf(target: string): Promise<{ history: HistoryRow[]; pgVersion: PgVersion }> {
  return withTarget(
    target,
    async (client) => {
      const exists = (await client.query<{ t: string | null }>(`SELECT to_regclass('${HISTORY_TABLE}')::text AS t`))
        .rows[0].t;
      const { server_version } = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0];
      return { history: exists ? await readHistory(client) : [], pgVersion: parsePgVersion(server_version) };
    },
    { applicationName: 'schemawright-revert-plan' },
  );
}

/**
 * A revert request's migration: the downs of what `reverts.requestId` applied, once the target's
 * history shows that request's change still in place. Refused with every reason otherwise.
 */
export async function revertOfRequest(
  target: string,
  applied: Migration[],
  reverts: string,
  revertId: string,
): Promise<Migration[]> {
  const { history, pgVersion } = await historyOf(target);
  const problems = appliedByRequestProblems(applied, history, reverts);
  if (problems.length) throw new RevertRefusedError(problems);
  return revertPlan(applied, history, revertId, pgVersion);
}

/**
 * Runs a revert plan: the runner applies each down (history rows, retry safety, apply lock), then,
 * in its session, marks the reverted steps undone. Run again after a kill, applied down steps are
 * skipped and the marking (a no-op the second time) completes.
 */
export function runRevert(
  target: ApplyTarget,
  plan: Migration[],
  options: ApplyOptions & { onReverted?: (version: string) => void },
): Promise<ApplyResult[]> {
  return applyMigrations(target, plan, {
    ...options,
    afterMigration: async (session: TargetSession, migration: Migration) => {
      await options.afterMigration?.(session, migration);
      if (!migration.reverts) return;
      await session.client.query(
        `UPDATE ${HISTORY_TABLE} SET status = 'undone', finished_at = now() WHERE version = $1 AND step = ANY($2) AND status = 'applied'`,
        [migration.version, migration.reverts],
      );
      options.onReverted?.(migration.version);
    },
  });
}

/**
 * Reverts applied migrations (given in apply order) newest first, as `runRevert` does: planned
 * before anything runs, so a down that is missing or does not parse stops the revert before it
 * starts. A down that fails leaves the ones before it reverted and says so.
 */
export async function revertMigrations(
  target: ApplyTarget,
  migrations: Migration[],
  options: ApplyOptions & { onReverted?: (version: string) => void },
): Promise<RevertResult> {
  const started = performance.now();
  const { history, pgVersion } = await historyOf(target.connectionString);
  const plan = await revertPlan(migrations, history, options.requestId, pgVersion);
  const reverted: string[] = [];
  await runRevert(target, plan, {
    ...options,
    onReverted: (version) => {
      reverted.push(version);
      options.onReverted?.(version);
    },
  }).catch((error: unknown) => {
    if (!(error instanceof MigrationFailedError)) throw error;
    const migration = plan.find((m) => m.version === error.version);
    throw new MigrationFailedError(
      error.version,
      error.step,
      error.databaseError,
      error.applied,
      reverted,
      error.remaining,
      `Reverted ${reverted.length} migration${reverted.length === 1 ? '' : 's'} before it (newest first${reverted.length ? `: ${reverted.join(', ')}` : ''}); ${error.version} (${migration?.source ?? error.version}) and the older ones stay applied. Fix its down and revert again: the down's applied steps are skipped.`,
      error.onTarget,
    );
  });
  return { reverted, durationMs: Math.round(performance.now() - started) };
}
