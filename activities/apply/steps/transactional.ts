import { recordStep } from '../history';
import type { StepKindRunner } from './step-kind';

/**
 * transactional: the step's SQL and its history row in one transaction, so the step is applied
 * exactly when it is recorded; a crash or a lock timeout rolls both back and a retry starts clean.
 */
export const transactionalStep: StepKindRunner = {
  kind: 'transactional',
  explanation:
    'DDL and DML that may share a transaction. The step and the record that it was applied commit together, so a crash leaves it either fully applied and recorded or not at all: no "dirty" state to clear by hand.',
  examples: [
    {
      setup: 'CREATE TABLE orders (id bigint PRIMARY KEY)',
      step: {
        kind: 'transactional',
        name: 'add-note',
        sql: 'ALTER TABLE orders ADD COLUMN note text;\nCOMMENT ON COLUMN orders.note IS $$free text$$;',
        undo: 'ALTER TABLE orders DROP COLUMN note',
      },
      check: `SELECT count(*) = 1 AS ok FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'`,
      undone: `SELECT count(*) = 0 AS ok FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'`,
    },
  ],

  plan: (step) => ({
    step: step.name,
    kind: 'transactional',
    runsInTransaction: true,
    how: 'runs in one transaction together with its history row, each statement under lock_timeout',
    onRetry: 'nothing to clean: an interrupted attempt rolled back',
  }),

  async apply({ session, step, record }) {
    const startedAt = new Date();
    await session.inTransaction(async () => {
      await session.client.query(step.sql);
      await recordStep(session.client, { ...record, startedAt, status: 'applied' });
    });
    return {};
  },

  // Committed with its history row: nothing can be half done.
  verify: async () => undefined,

  async undo({ session, step, record }) {
    if (!step.undo) throw new Error(`step ${step.name} has no undo`);
    const startedAt = new Date();
    await session.inTransaction(async () => {
      await session.client.query(step.undo as string);
      await recordStep(session.client, { ...record, startedAt, status: 'undone' });
    });
  },

  makeRetrySafe: async () => ({ done: false }),

  // A stopped transaction rolls back with its history row: nothing of it stays.
  leftBehind: async () => undefined,
};
