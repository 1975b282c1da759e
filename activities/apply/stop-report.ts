import type { ClientBase } from 'pg';
import type { Migration } from '../../artifacts/migration';
import { connectTarget } from '../../postgres/target';
import { LockContentionError, MigrationFailedError } from './errors';
import { HISTORY_TABLE, type HistoryStatus } from './history';
import type { TargetSession } from './session';
import { STEP_KINDS, type LeftBehind } from './steps';

/** Whole migrations named one by one up to this many; more are named by their first and last. */
const LISTED = 5;

/** Facts read from the target after a stop: what is applied, and what stopped steps left behind. */
export interface StopFacts {
  /** Versions whose every step is applied, in order. */
  whole: string[];
  /** The first migration not wholly applied: its applied and its not-applied steps. */
  partial?: { version: string; applied: string[]; notApplied: string[] };
  /** Migrations after that one, none of whose steps ran. */
  later: number;
  leftBehind: (LeftBehind & { step: string })[];
}

/**
 * Reads what the target holds for these migrations: their history rows, and for each step stopped
 * mid-way (its row `running` or `failed`, or the step the runner stopped in) what its kind says it
 * left behind, from the catalog. Nothing here comes from what the runner believes it did.
 */
export async function stopFacts(
  client: ClientBase,
  migrations: Migration[],
  stoppedStep: string,
  observed: Map<string, string>,
): Promise<StopFacts> {
  const { rows } = await client.query<{ version: string; step: string; status: HistoryStatus }>(
    `SELECT version, step, status FROM ${HISTORY_TABLE} WHERE version = ANY($1)`,
    [migrations.map((m) => m.version)],
  );
  const status = new Map(rows.map((r) => [`${r.version}/${r.step}`, r.status]));
  const statusOf = (m: Migration, step: string) => status.get(`${m.version}/${step}`);
  const firstOpen = migrations.findIndex((m) => m.steps.some((s) => statusOf(m, s.name) !== 'applied'));
  const open = firstOpen < 0 ? undefined : migrations[firstOpen];
  const facts: StopFacts = {
    whole: migrations.slice(0, firstOpen < 0 ? migrations.length : firstOpen).map((m) => m.version),
    later: firstOpen < 0 ? 0 : migrations.length - firstOpen - 1,
    leftBehind: [],
  };
  if (!open) return facts;
  facts.partial = {
    version: open.version,
    applied: open.steps.filter((s) => statusOf(open, s.name) === 'applied').map((s) => s.name),
    notApplied: open.steps.filter((s) => statusOf(open, s.name) !== 'applied').map((s) => s.name),
  };
  for (const migration of migrations) {
    for (const step of migration.steps) {
      const state = statusOf(migration, step.name);
      const stopped = migration === open && step.name === stoppedStep;
      if (!stopped && state !== 'running' && state !== 'failed') continue;
      const left = await STEP_KINDS[step.kind].leftBehind({
        client,
        step,
        status: state,
        observed: observed.get(`${migration.version}/${step.name}`),
      });
      if (left) facts.leftBehind.push({ step: step.name, ...left });
    }
  }
  return facts;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The facts as the sentences people read in the apply-stopped question. */
export function describeStop(facts: StopFacts): string {
  const { whole, partial, later, leftBehind } = facts;
  const applied: string[] = [];
  if (whole.length > LISTED)
    applied.push(`all of migrations ${whole[0]} to ${whole[whole.length - 1]} (${plural(whole.length, 'migration')})`);
  else if (whole.length > 0) applied.push(`all of ${plural(whole.length, 'migration')} ${whole.join(', ')}`);
  if (partial?.applied.length) applied.push(`of ${partial.version}: ${partial.applied.join(', ')}`);
  const sentences = [
    `On the target now (its history table and catalog): ${applied.length ? `applied and in place: ${applied.join('; ')}` : 'no step of these migrations is applied'}.`,
  ];
  sentences.push(
    leftBehind.length
      ? `Left behind: ${leftBehind.map((l) => `${l.step} stopped mid-way, ${l.what}`).join('; ')}.`
      : 'Nothing is left half-done.',
  );
  if (partial)
    sentences.push(
      `Not applied: ${partial.notApplied.join(', ')} of ${partial.version}${later ? ` and ${plural(later, 'later migration')}` : ''}.`,
    );
  const retry = [
    applied.length ? 'skips the applied steps' : undefined,
    ...leftBehind.map((l) => `for ${l.step}, ${l.retry}`),
    partial ? (applied.length || leftBehind.length ? 'runs the rest' : 'runs them from the start') : undefined,
  ].filter(Boolean);
  sentences.push(`A retry: ${retry.join('; ')}.`);
  return sentences.join(' ');
}

/**
 * The stop report of a run on `target`: read on the runner's session when it still answers, else on a
 * new connection; when the target cannot be reached at all, says so and what a retry does anyway.
 */
export async function stopReport(
  target: { name: string; connectionString: string },
  session: TargetSession | undefined,
  migrations: Migration[],
  stoppedStep: string,
  observed: Map<string, string>,
): Promise<string> {
  const alive =
    session &&
    (await session.client.query('SELECT 1').then(
      () => true,
      () => false,
    ));
  try {
    if (alive) return describeStop(await stopFacts(session.client, migrations, stoppedStep, observed));
    const client = await connectTarget(target.connectionString, {
      applicationName: 'schemawright-stop-report',
      name: target.name,
    });
    try {
      return describeStop(await stopFacts(client, migrations, stoppedStep, observed));
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return `What the target holds could not be read (${(error as Error).message}). A retry reads its history table first: it skips the applied steps, makes a step stopped mid-way safe before it runs again, and runs the rest.`;
  }
}

/** The runner's stop with the report in its message: the apply-stopped question shows the message. */
export function withStopReport<E extends LockContentionError | MigrationFailedError>(error: E, report: string): E {
  if (error instanceof LockContentionError)
    return new LockContentionError(error.step, error.attempts, error.lockTimeoutMs, error.evidence, report) as E;
  const e = error as MigrationFailedError;
  return new MigrationFailedError(
    e.version,
    e.step,
    e.databaseError,
    e.applied,
    e.undone,
    e.remaining,
    e.outcome,
    report,
  ) as E;
}
