import type { RequestStatusView } from '../workflows/design-request-messages';
import { waitingFor } from './apply-wait';

const view = (over: Partial<RequestStatusView>): RequestStatusView => ({
  requestId: 'r2',
  kind: 'change',
  title: 't',
  target: 'shop',
  environment: 'production',
  requester: 'rita',
  state: 'applying',
  phase: 'apply',
  questions: [],
  timeline: [],
  artifacts: {},
  ...over,
});

describe('what a request waits for', () => {
  it('at a gate: the approvers who have not chosen on the open questions', () => {
    const question = {
      id: 'approve#2',
      state: 'open',
      askedTo: ['ann', 'bob', 'carl'],
      votes: [{ person: 'bob' }],
    } as unknown as RequestStatusView['questions'][number];
    expect(waitingFor(view({ state: 'awaiting-approval', phase: 'gates', questions: [question] }), [])).toBe(
      'approvers ann, carl to decide approve#2',
    );
  });

  it("applying: the target's apply lock and whose request holds it, from the runner's heartbeat", () => {
    const pending = [
      {
        activityType: 'applyReviewed',
        attempt: 1,
        scheduled: false,
        heartbeat: { waitingFor: 'apply-lock', heldBy: 'request r1' },
      },
    ];
    expect(waitingFor(view({}), pending)).toBe(
      "the target's apply lock, held by request r1: requests on shop apply one at a time",
    );
  });

  it('applying: a retry of the apply, and why the last attempt failed', () => {
    const pending = [
      { activityType: 'applyReviewed', attempt: 3, scheduled: true, lastFailure: 'connection terminated' },
    ];
    expect(waitingFor(view({}), pending)).toBe('retry 3 of the apply, after: connection terminated');
  });

  it('applying on its own, or another phase at work: nothing', () => {
    expect(waitingFor(view({}), [{ activityType: 'applyReviewed', attempt: 1, scheduled: false }])).toBeUndefined();
    expect(waitingFor(view({ state: 'running', phase: 'review' }), [])).toBeUndefined();
  });
});
