import { recordStep } from '../history';
import type { StepKindRunner } from './step-kind';
import { transactionalStep } from './transactional';

const DEFAULT_BATCH_SIZE = 1_000;

/**
 * backfill: one UPDATE/DELETE with `$1` for the batch size, run again and again, each batch its own
 * short transaction, until it touches no row. The statement must select only rows still to do
 * (`WHERE new_col IS NULL ... LIMIT $1`), so a crash mid-way resumes where it stopped and no row is
 * done twice.
 */
export const backfillStep: StepKindRunner = {
  kind: 'backfill',
  explanation:
    'An UPDATE or DELETE over many rows, cut into short batches so no lock is held for long and replicas keep up; each batch commits on its own, and the statement picks only rows still to do, so a crash resumes without doing a row twice.',
  examples: [
    {
      setup:
        'CREATE TABLE users (id bigint PRIMARY KEY, email text, email_lower text); INSERT INTO users SELECT g, $$User$$ || g || $$@Example.com$$ FROM generate_series(1, 2500) g',
      step: {
        kind: 'backfill',
        name: 'fill-email-lower',
        batchSize: 1000,
        sql: 'UPDATE users SET email_lower = lower(email) WHERE id IN (SELECT id FROM users WHERE email_lower IS NULL LIMIT $1)',
        undo: 'UPDATE users SET email_lower = NULL',
      },
      check: `SELECT count(*) FILTER (WHERE email_lower = lower(email)) = 2500 AS ok FROM users`,
      undone: `SELECT count(email_lower) = 0 AS ok FROM users`,
    },
  ],

  plan: (step) => ({
    step: step.name,
    kind: 'backfill',
    runsInTransaction: false,
    how: `runs in batches of ${step.batchSize ?? DEFAULT_BATCH_SIZE} rows, each its own transaction, until a batch touches no row`,
    onRetry: 'continues with the rows still to do',
  }),

  async apply({ session, step, record, progress }) {
    const startedAt = new Date();
    const batchSize = step.batchSize ?? DEFAULT_BATCH_SIZE;
    await recordStep(session.client, { ...record, startedAt, status: 'running' });
    let batches = 0;
    let rows = 0;
    for (;;) {
      const { rowCount } = await session.client.query(step.sql, [batchSize]);
      if (!rowCount) break;
      batches += 1;
      rows += rowCount;
      progress(`batch ${batches}: ${rowCount} rows (${rows} in all)`);
    }
    await recordStep(session.client, { ...record, startedAt, status: 'applied' });
    return { detail: `${rows} rows in ${batches} batches` };
  },

  // Ran until a batch touched no row: nothing is left to do by construction.
  verify: async () => undefined,

  // The undo is one statement, undone as a transactional step is: with its history row.
  undo: (context) => transactionalStep.undo(context),

  makeRetrySafe: async () => ({ done: false }),

  // Each batch commits on its own: a row still `running` means some may have, and they stay.
  leftBehind: async ({ status, observed }) =>
    status === 'running'
      ? {
          what: `the batches committed before the stop stay (${observed ? `last seen: ${observed}` : 'this run saw none finish; an earlier run may have'})`,
          retry: 'continues with the rows still to do, none done twice',
        }
      : undefined,
};
