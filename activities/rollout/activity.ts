import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { getJson } from '../../store/artifacts';
import { appendAudit, queryAudit } from '../../store/audit';
import { targetFingerprint } from '../../postgres/target';
import type { ApprovalTrust } from '../../approvals/signed-approvals';
import {
  targetRequestId,
  type RolloutNotification,
  type RolloutTargetInput,
  type RolloutTargets,
} from '../../workflows/rollout-messages';
import type { ApplyReviewedOutcome, RequestActivities } from '../contracts';
import { heartbeating } from '../heartbeat';
import { approvalProblem } from './approvals';

export interface RolloutActivities {
  /** Each target's schema fingerprint, read as a drift check reads it: targets with the same one share a review. */
  fingerprintTargets(input: { targets: string[] }): Promise<Record<string, string>>;
  /** One target's apply: its approvals verified, then the reviewed apply under the lock with its drift check. */
  applyRolloutTarget(input: RolloutTargetInput): Promise<ApplyReviewedOutcome>;
  /** Slack and email, through the approvals channels' teller (approvals/notify.ts); a worker without one tells no one. */
  tellRollout(notification: RolloutNotification): Promise<void>;
}

const FINGERPRINTS_AT_ONCE = 8;

export function createRolloutActivities(
  store: Pool,
  applyReviewed: RequestActivities['applyReviewed'],
  trust: ApprovalTrust | undefined,
  tell?: (notification: RolloutNotification) => Promise<void>,
): RolloutActivities {
  return {
    // As a request's notify: a channel that is down must not hold up or fail the rollout; it is audited instead.
    tellRollout: async (notification) => {
      await tell?.(notification).catch((error: Error) =>
        appendAudit(store, {
          kind: 'notification-failed',
          requestId: notification.status.rolloutId,
          target: notification.status.group,
          data: { notification: notification.kind, recipients: notification.recipients, error: error.message },
        }),
      );
    },

    fingerprintTargets: ({ targets }) =>
      heartbeating(async (progress) => {
        const fingerprints: Record<string, string> = {};
        let next = 0;
        const reader = async () => {
          while (next < targets.length) {
            const target = targets[next++]!;
            fingerprints[target] = await targetFingerprint(target);
            progress({ read: Object.keys(fingerprints).length });
          }
        };
        await Promise.all(Array.from({ length: FINGERPRINTS_AT_ONCE }, reader));
        return Object.fromEntries(targets.map((target) => [target, fingerprints[target]!]));
      }),

    applyRolloutTarget: async (input) => {
      // Read by its digest, which the store checks: the list is the one the approvals were signed for.
      const resolved = await getJson<RolloutTargets>(store, input.targets);
      const problem = trust
        ? approvalProblem(
            input,
            resolved,
            trust.decisionKeys,
            trust.gatePolicyFor(resolved.group, input.environment),
            await rolloutRequesters(store, input.rolloutId),
          )
        : 'this worker was started without the keys and policy that verify rollout approvals, so it applies no rollout';
      if (problem) throw ApplicationFailure.nonRetryable(problem, 'RolloutNotApprovedError');
      return applyReviewed({
        requestId: targetRequestId(input.rolloutId, input.target),
        target: input.target,
        render: { migration: input.migration, escalations: [], choices: {} },
        fingerprint: input.fingerprint,
        decidedBy: [...new Set(input.approvals.map((a) => a.decision.person))],
        limits: input.apply,
      });
    },
  };
}

/** Who requested a rollout, by what its kickoff wrote to the audit log (the rollout, not a child's input). */
async function rolloutRequesters(store: Pool, rolloutId: string): Promise<string[]> {
  const created = await queryAudit(store, { requestId: rolloutId, kind: 'rollout-created' });
  return [...new Set(created.flatMap(({ data }) => (typeof data.requester === 'string' ? [data.requester] : [])))];
}
