import { validApprovers } from '../../approvals/signed-approvals';
import type { DecisionKeys, GatePolicy } from '../../workflows/design-request-messages';
import {
  APPROVE,
  approvalQuestionId,
  type RolloutTargetInput,
  type RolloutTargets,
} from '../../workflows/rollout-messages';

/**
 * Why a rollout's child may not apply, or undefined when it may: enough distinct approvers of the
 * stage chose to apply this migration to this schema in this rollout, each signed by their channel.
 *
 * Checked where the target is changed, with the keys and the policy of the worker, not with any
 * the workflow carries: whoever reaches Temporal can start a child with input of their choosing,
 * but cannot sign a decision. A signature binds the rollout (its id is the request id signed), the
 * stage, the migration's digest, the reviewed fingerprint and the resolved targets' digest (all in the
 * question id signed); the target must be one of those of its stage.
 */
export function approvalProblem(
  input: Pick<
    RolloutTargetInput,
    'rolloutId' | 'environment' | 'target' | 'fingerprint' | 'migration' | 'targets' | 'approvals'
  >,
  resolved: RolloutTargets,
  keys: DecisionKeys,
  policy: GatePolicy,
): string | undefined {
  const stage = resolved.stages.find((s) => s.environment === input.environment);
  if (!stage?.targets.includes(input.target))
    return `target ${input.target} is not one of stage ${input.environment} of rollout ${input.rolloutId} (its targets are ${input.targets.digest}); nothing was applied`;
  const questionId = approvalQuestionId(
    input.environment,
    input.migration.digest,
    input.fingerprint,
    input.targets.digest,
  );
  const approvers = validApprovers(
    input.rolloutId,
    input.approvals ?? [],
    keys,
    // Unchanged for rollouts: a child's input names no requester, whose own approval its parent's gate refuses.
    { separationOfDuties: false },
    policy.approvers,
    (decision) => decision.questionId === questionId && decision.optionId === APPROVE,
  );
  if (approvers.size >= policy.quorum) return undefined;
  return `target ${input.target} of rollout ${input.rolloutId} has ${approvers.size} valid approval(s) of ${policy.quorum} needed for migration ${input.migration.digest} in ${input.environment}; nothing was applied: a rollout's targets are applied only by the rollout, after its approvers decided`;
}
