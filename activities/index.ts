import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { StatusNotification } from '../workflows/design-request-messages';
import { createAnalysisActivities } from './analysis/activity';
import { fixFileOf } from './analysis/fixes';
import { createApplyActivities } from './apply/activity';
import { pendingOnTarget } from './apply/import';
import { createReviewedApply } from './apply/reviewed-apply';
import { revertOfRequest, RevertRefusedError } from './apply/revert';
import type { RenderInput, RequestActivities } from './contracts';
import { createModelingActivities } from './modeling/activity';
import { createReportActivities } from './report/activity';
import { createReviewActivities, renderChosen } from './review/activity';
import { createRolloutActivities } from './rollout/activity';
import type { ApprovalTrust } from '../approvals/signed-approvals';
import type { RolloutNotification } from '../workflows/rollout-messages';
import { createStackCheckActivities } from './stack-check';

/** What every activity may use; built once per worker process. */
export interface ActivityDependencies {
  store: Pool;
  /** The approvals channels' notifier (Slack, email); see approvals/notify.ts. */
  notify?: (notification: StatusNotification) => Promise<void>;
  /** Signs and anchors a checkpoint of the audit chain (store/audit-anchor.ts); absent: no checkpoints. */
  checkpointAudit?: () => Promise<unknown>;
  /** The keys and policy that verify approvals where targets are applied (requests and rollouts); absent: nothing applies. */
  approvals?: ApprovalTrust;
  /** The approvals channels' teller of rollouts (Slack, email); see approvals/notify.ts. */
  tellRollout?: (notification: RolloutNotification) => Promise<void>;
}

/**
 * Every activity, each phase's from the adapter beside its engine. Phases never import one another:
 * what modeling needs of analysis and apply is handed in here.
 */
export function createActivities(deps: ActivityDependencies) {
  const review = createReviewActivities(deps.store);
  const render = (input: RenderInput) => renderChosen(deps.store, input);
  const request: RequestActivities = {
    ...createAnalysisActivities(deps.store),
    ...createModelingActivities({ store: deps.store, fixFileOf, pendingOnTarget, revertOf }),
    ...review,
    ...createApplyActivities(deps.store, render, deps.approvals),
    ...createReportActivities(deps),
  };
  return {
    ...createStackCheckActivities(deps.store),
    ...request,
    // A rollout's child checks its own approvals (stage, targets) before it applies as a request would.
    ...createRolloutActivities(deps.store, createReviewedApply(deps.store, render), deps.approvals, deps.tellRollout),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** A refused revert is not retried: the request ends failed with the reasons, which say what to do. */
async function revertOf(...args: Parameters<typeof revertOfRequest>) {
  return revertOfRequest(...args).catch((error: unknown) => {
    if (error instanceof RevertRefusedError) throw ApplicationFailure.nonRetryable(error.message, error.name);
    throw error;
  });
}
