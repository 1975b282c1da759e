import { validApprovers } from '../../approvals/signed-approvals';
import type { DecisionKeys, GatePolicy } from '../../workflows/design-request-messages';
import {
  APPROVE,
  approvalQuestionId,
  type RolloutTargetInput,
  type RolloutTargets,
  type SignedApproval,
} from '../../workflows/rollout-messages';

/**
 * Why a rollout's child may not apply, or undefined when it may: enough distinct approvers of the
 * stage chose to apply this migration to this schema in this rollout, each signed by their channel,
 * none of them its requester where the stage's policy separates duties.
 *
 * Checked where the target is changed, with the keys and the policy of the worker, not with any
 * the workflow carries: whoever reaches Temporal can start a child with input of their choosing,
 * but cannot sign a decision. A signature binds the rollout (its id is the request id signed), the
 * stage, the migration's digest, the reviewed fingerprint and the resolved targets' digest (all in the
 * question id signed); the target must be one of those of its stage. The requesters are not the
 * child's to say either: they are those the rollout's `rollout-created` entries in the audit log name.
 */
export function approvalProblem(
  input: Pick<
    RolloutTargetInput,
    'rolloutId' | 'environment' | 'target' | 'fingerprint' | 'migration' | 'targets' | 'approvals'
  >,
  resolved: RolloutTargets,
  keys: DecisionKeys,
  policy: GatePolicy,
  requesters: readonly string[],
): string | undefined {
  const stage = resolved.stages.find((s) => s.environment === input.environment);
  if (!stage?.targets.includes(input.target))
    return `target ${input.target} is not one of stage ${input.environment} of rollout ${input.rolloutId} (its targets are ${input.targets.digest}); nothing was applied`;
  if (policy.separationOfDuties && !requesters.length)
    return `rollout ${input.rolloutId} has no rollout-created entry in the audit log, so who requested it is not known and separation of duties in ${input.environment} cannot be checked; nothing was applied to ${input.target}: a rollout's targets are applied only by the rollout`;
  const questionId = approvalQuestionId(
    input.environment,
    input.migration.digest,
    input.fingerprint,
    input.targets.digest,
  );
  // Every requester any entry names is left out: a forged later entry can only refuse more.
  const own = (approval: SignedApproval) => policy.separationOfDuties && requesters.includes(approval.decision.person);
  const approvers = validApprovers(
    input.rolloutId,
    (input.approvals ?? []).filter((approval) => !own(approval)),
    keys,
    { separationOfDuties: false },
    policy.approvers,
    (decision) => decision.questionId === questionId && decision.optionId === APPROVE,
  );
  if (approvers.size >= policy.quorum) return undefined;
  const ownLeftOut = (input.approvals ?? []).some(own)
    ? ` (the requester's own approval does not count: ${input.environment} separates duties)`
    : '';
  return `target ${input.target} of rollout ${input.rolloutId} has ${approvers.size} valid approval(s) of ${policy.quorum} needed for migration ${input.migration.digest} in ${input.environment}${ownLeftOut}; nothing was applied: a rollout's targets are applied only by the rollout, after its approvers decided`;
}
