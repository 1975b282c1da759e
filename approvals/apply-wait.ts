import type { RequestStatusView } from '../workflows/design-request-messages';

/** The activities that apply: while one of these is pending, the request may wait on the target. */
const APPLY_ACTIVITIES = ['applyReviewed', 'applyChange', 'revertChange'];

/** What Temporal says of a pending activity: its latest heartbeat's details, its attempt, and why the last one failed. */
export interface PendingActivity {
  activityType: string;
  attempt: number;
  /** The runner's latest heartbeat detail (activities/apply/reviewed-apply.ts heartbeats `{ waitingFor, heldBy }`). */
  heartbeat?: unknown;
  /** Scheduled and not yet started: an attempt waits for its retry. */
  scheduled: boolean;
  lastFailure?: string;
}

/**
 * What a request waits for, in words for its page and `schemawright status`: the approvers
 * who have not chosen yet, the target's apply lock and whose request holds it, or a retry of the
 * apply. Undefined while it works on its own.
 */
export function waitingFor(view: RequestStatusView, pending: PendingActivity[]): string | undefined {
  if (view.state === 'awaiting-approval') {
    const open = view.questions.filter((q) => q.state === 'open');
    const people = [
      ...new Set(open.flatMap((q) => q.askedTo.filter((person) => !q.votes.some((v) => v.person === person)))),
    ];
    if (open.length === 0) return undefined;
    return `approvers ${people.join(', ')} to decide ${open.map((q) => q.id).join(', ')}`;
  }
  const apply = pending.find((p) => APPLY_ACTIVITIES.includes(p.activityType));
  if (!apply) return undefined;
  const heartbeat = apply.heartbeat as { waitingFor?: string; heldBy?: string } | undefined;
  if (heartbeat?.waitingFor === 'apply-lock')
    return `the target's apply lock, held by ${heartbeat.heldBy}: requests on ${view.target} apply one at a time`;
  if (apply.scheduled && apply.attempt > 1)
    return `retry ${apply.attempt} of the apply${apply.lastFailure ? `, after: ${apply.lastFailure}` : ''}`;
  return undefined;
}
