import { ApplicationFailure, Context } from '@temporalio/activity';
import { requestApprovalProblem, type ApprovalTrust } from '../../approvals/signed-approvals';
import { PolicyError } from '../../approvals/policy';
import type { ApplyReviewedInput, RequestActivities } from '../contracts';

/** The failure's type: not retried, and the request ends failed with its message. */
export const NOT_APPROVED = 'RequestNotApprovedError';

/**
 * The apply of a request, refused before it touches the target unless the approvals the workflow
 * recorded hold with this worker's keys and its policy for the target. Whoever reaches Temporal can
 * start a request with keys and a policy of their own in its input; they cannot sign as a channel
 * whose key this worker trusts, nor change the policy it read.
 */
export function requireApprovals(
  trust: ApprovalTrust | undefined,
  apply: RequestActivities['applyReviewed'],
): RequestActivities['applyReviewed'] {
  return async (input) => {
    const { workflowExecution } = Context.current().info;
    const problem = (() => {
      try {
        return approvalsProblem(trust, workflowExecution?.runId, input);
      } catch (error) {
        // The worker's policy covers no such target or environment: nobody of it approved this.
        if (error instanceof PolicyError) return `${error.message}; nothing was applied to ${input.target}`;
        throw error;
      }
    })();
    if (problem) throw ApplicationFailure.nonRetryable(problem, NOT_APPROVED);
    return apply(input);
  };
}

function approvalsProblem(
  trust: ApprovalTrust | undefined,
  runId: string | undefined,
  input: ApplyReviewedInput,
): string | undefined {
  return !trust
    ? `this worker was started without the keys and policy that verify approvals, so it applies nothing; nothing was applied to ${input.target}`
    : !runId
      ? `an apply is only run for a request's workflow; nothing was applied to ${input.target}`
      : requestApprovalProblem(
          {
            requestId: input.requestId,
            runId,
            target: input.target,
            requester: input.requester ?? '',
            approvals: input.approvals,
          },
          trust.decisionKeys,
          trust.gatePolicyFor(input.target, input.environment ?? ''),
        );
}
