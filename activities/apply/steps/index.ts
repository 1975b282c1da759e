import type { StepKind } from '../../../artifacts/migration';
import { backfillStep } from './backfill';
import { nonTransactionalStep } from './non-transactional';
import type { StepKindRunner } from './step-kind';
import { transactionalStep } from './transactional';

export type { LeftBehind, StepContext, StepKindRunner, StepPlan, StoppedStep } from './step-kind';

export const STEP_KINDS: Record<StepKind, StepKindRunner> = {
  transactional: transactionalStep,
  'non-transactional': nonTransactionalStep,
  backfill: backfillStep,
};
