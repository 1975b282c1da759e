import type { Migration } from '../../artifacts/migration';
import { databaseErrorOf, MigrationFailedError } from './errors';
import { ensureHistoryTable, readHistory, recordStep, stepChecksum } from './history';
import type { ApplyOptions, ApplyTarget } from './index';
import { sessionLimits, TargetSession } from './session';
import { STEP_KINDS } from './steps';
import { stepsOfSql } from '../../postgres/steps';

export interface RevertResult {
  /** Versions reverted, newest first. */
  reverted: string[];
  durationMs: number;
}

/**
 * Reverts applied migrations newest first (give them in apply order): a migration's down runs in one
 * transaction with its history rows marked undone; without a down, its steps' undos run newest
 * first. Stops at the first that fails, with the database's error; those before it stay reverted.
 */
export async function revertMigrations(
  target: ApplyTarget,
  migrations: Migration[],
  options: Pick<
    ApplyOptions,
    'requestId' | 'decidedBy' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'lockRetries' | 'applyLockWaitMs'
  > & { onReverted?: (version: string) => void },
): Promise<RevertResult> {
  const started = performance.now();
  const session = await TargetSession.open(target, {
    ...sessionLimits(options),
    onRetry: () => undefined,
  });
  const reverted: string[] = [];
  try {
    await ensureHistoryTable(session.client);
    const pgVersion = await session.pgVersion();
    const applied = new Set(
      (await readHistory(session.client))
        .filter((r) => r.status === 'applied')
        .map((r) => `${r.version}\u0000${r.step}`),
    );
    for (const migration of [...migrations].reverse()) {
      const steps = migration.steps.filter((s) => applied.has(`${migration.version}\u0000${s.name}`));
      if (steps.length === 0) continue;
      const record = (step: (typeof steps)[number]) => ({
        version: migration.version,
        name: migration.name,
        step: step.name,
        kind: step.kind,
        checksum: stepChecksum(step.sql),
        requestId: options.requestId,
        decidedBy: options.decidedBy,
      });
      const down = migration.down;
      const fail = (error: unknown, sql: string, what: string) =>
        new MigrationFailedError(
          migration.version,
          what,
          databaseErrorOf(error, sql),
          steps.map((s) => s.name),
          reverted,
          [],
          `Reverted ${reverted.length} migration${reverted.length === 1 ? '' : 's'} before it (newest first${reverted.length ? `: ${reverted.join(', ')}` : ''}); ${migration.version} (${migration.source ?? migration.name}) and the older ones stay applied. Fix its down and revert again.`,
        );
      if (down !== undefined) {
        // A down with a CONCURRENTLY statement cannot run in one transaction: it runs as the up
        // would, step by step, and the history says undone once the last of them has run.
        const downSteps = await stepsOfSql(
          `${migration.version} down`,
          down,
          pgVersion,
          `${migration.source ?? migration.name} (down)`,
        ).catch((error: unknown) => {
          throw fail(error, down, 'down');
        });
        const markUndone = async () => {
          for (const step of steps)
            await recordStep(session.client, { ...record(step), startedAt: new Date(), status: 'undone' });
        };
        for (const [n, downStep] of downSteps.entries()) {
          const last = n === downSteps.length - 1;
          try {
            await session.withLockRetries(`${migration.version} down`, async () => {
              if (downStep.kind !== 'transactional') return void (await session.client.query(downStep.sql));
              await session.inTransaction(async () => {
                await session.client.query(downStep.sql);
                if (last) await markUndone();
              });
            });
          } catch (error) {
            const partly =
              n > 0
                ? ` (it stopped at part ${n + 1} of ${downSteps.length}: the parts before it ran, and the history still says applied)`
                : '';
            throw fail(error, downStep.sql, `down${partly}`);
          }
        }
        if (downSteps.at(-1)?.kind !== 'transactional') await session.inTransaction(markUndone);
      } else {
        const missing = steps.filter((s) => s.undo === undefined);
        if (missing.length)
          throw new Error(
            `Migration ${migration.version} cannot be reverted: it has no down, and ${missing.map((s) => s.name).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no undo. Reverted before it: ${reverted.join(', ') || 'nothing'}.`,
          );
        for (const step of [...steps].reverse()) {
          try {
            await session.withLockRetries(step.name, () =>
              STEP_KINDS[step.kind].undo({ session, step, record: record(step), progress: () => undefined }),
            );
          } catch (error) {
            throw fail(error, step.undo as string, step.name);
          }
        }
      }
      reverted.push(migration.version);
      options.onReverted?.(migration.version);
    }
    return { reverted, durationMs: Math.round(performance.now() - started) };
  } finally {
    await session.close();
  }
}
