import { decisionSignatureValid } from '../workflows/decision-signature';
import { REJECT, type DecisionInput, type DecisionKeys, type GatePolicy } from '../workflows/design-request-messages';
import type { SignedApproval } from '../workflows/rollout-messages';

/**
 * The distinct people whose approvals count, checked with the keys and the policy of whoever changes
 * the target (never with any a workflow carries): a decision counts when `accepts` takes it, its
 * person may decide under `policy` (one of `deciders`, and not `requester` where the policy separates
 * duties), and its channel's key signed it for `requestId` and its Update. Shared by single requests
 * (activities/apply/approved.ts) and rollouts' children (activities/rollout/approvals.ts).
 */
export function validApprovers(
  requestId: string,
  approvals: readonly SignedApproval[],
  keys: DecisionKeys,
  policy: Pick<GatePolicy, 'separationOfDuties'>,
  deciders: readonly string[],
  accepts: (decision: DecisionInput) => boolean,
  requester?: string,
): Set<string> {
  const approvers = new Set<string>();
  for (const { decision, updateId } of approvals) {
    const key = keys[decision.channel];
    if (
      accepts(decision) &&
      deciders.includes(decision.person) &&
      !(policy.separationOfDuties && decision.person === requester) &&
      key &&
      decisionSignatureValid(key, requestId, updateId, decision)
    )
      approvers.add(decision.person);
  }
  return approvers;
}

/** What a worker trusts to verify approvals where a target changes: its own keys and policy, never a workflow's. */
export interface ApprovalTrust {
  decisionKeys: DecisionKeys;
  gatePolicyFor(target: string, environment: string): GatePolicy;
}

/** What the apply of one request knows of its approvals: the workflow's records, and the run it applies for. */
export interface RequestApprovals {
  requestId: string;
  /** The run of the request's workflow that schedules the apply, as Temporal tells the activity. */
  runId: string;
  target: string;
  requester: string;
  /** Absent from applies scheduled by workflows started before approvals were checked at the apply. */
  approvals?: readonly SignedApproval[];
}

/**
 * The run a decision's Update was signed for: decisions are signed with Update ids that start with
 * the run's id (approvals/requests.ts), so one signed for an earlier run of the same request id, with
 * another migration, does not count in a later one.
 */
export function updateIdFor(runId: string, id: string): string {
  return `${runId}/${id}`;
}

/**
 * Why one request may not be applied, or undefined when it may: every question whose approvals the
 * workflow recorded was approved by a quorum of the worker's policy, each approval signed by its
 * channel's key for this request and this run (whose worker-run code reviewed the migration and
 * fingerprint the approvers saw), none by the requester where the policy separates duties.
 */
export function requestApprovalProblem(
  request: RequestApprovals,
  keys: DecisionKeys,
  policy: GatePolicy,
): string | undefined {
  const { requestId, runId, target, requester, approvals } = request;
  const refused = `; nothing was applied to ${target}`;
  if (!approvals)
    return `request ${requestId} was started before its approvals were checked where the target changes, so its apply cannot show them${refused}: cancel it and start it again`;
  const questions = [...new Set(approvals.map((a) => a.decision.questionId))];
  if (!questions.length) return `request ${requestId} recorded no approval${refused}`;
  const deciders = [...policy.approvers, ...policy.backupApprovers, ...policy.admins];
  const thisRun = approvals.filter((a) => a.updateId.startsWith(updateIdFor(runId, '')));
  for (const question of questions) {
    const approvers = validApprovers(
      requestId,
      thisRun,
      keys,
      policy,
      deciders,
      (decision) => decision.questionId === question && decision.optionId !== REJECT,
      requester,
    );
    if (approvers.size < policy.quorum)
      return `request ${requestId} has ${approvers.size} valid approval(s) of ${policy.quorum} needed on '${question}'${refused}: an approval counts when an approver of ${target} under this worker's policy${policy.separationOfDuties ? `, other than the requester ${requester},` : ''} decided it in this run of the request, signed by a channel with this worker's keys`;
  }
  return undefined;
}
