import type { RequestStatusView } from '../../workflows/design-request-messages';
import { blockingText } from '../../approvals/question-details';
import { renderRequestReport } from './request-report';

const view: RequestStatusView = {
  requestId: 'r1',
  kind: 'change',
  title: 'add a note',
  target: 'shop',
  environment: 'production',
  requester: 'rita',
  state: 'applying',
  phase: 'report',
  outcome: 'applied 1 of 1 step(s) in 12 ms; verified',
  questions: [
    {
      id: 'approve',
      trigger: 'SW-APPROVAL',
      problem: 'Review raised no escalation. Apply the reviewed migration?',
      options: [{ id: 'apply', title: 'Apply the reviewed migration', risk: 'low', blockingSeconds: null }],
      recommendation: { optionId: 'apply', reason: 'no finding called for a person to choose between alternatives' },
      state: 'decided',
      chosenOptionId: 'apply',
      votes: [{ person: 'ann', optionId: 'apply', channel: 'cli', at: '2026-12-04T16:00:00.000Z' }],
      quorum: 1,
      askedTo: ['ann'],
      raisedAt: '2026-12-04T15:59:00.000Z',
      expiresAt: '2026-12-05T15:59:00.000Z',
      remindersSent: 0,
      escalation: { digest: `sha256:${'0'.repeat(64)}`, kind: 'review-report', sizeBytes: 1 },
    },
  ],
  timeline: [],
  artifacts: {},
};

describe('the closing report of a request', () => {
  it('shows the state the request ends in, not the one it was in while the report was written', () => {
    const report = renderRequestReport(view, 'completed');
    expect(report).toContain('- Outcome: **completed**: applied 1 of 1 step(s) in 12 ms; verified');
    expect(report).not.toContain('applying');
  });

  it('names the recommended and chosen options by their titles', () => {
    const report = renderRequestReport(view, 'completed');
    expect(report).toContain('### approve (SW-APPROVAL): decided, chose Apply the reviewed migration (`apply`)');
    expect(report).toContain(
      'Recommendation: Apply the reviewed migration (`apply`), no finding called for a person to choose between alternatives.',
    );
    expect(report).toContain('- 2026-12-04T16:00:00.000Z: ann chose Apply the reviewed migration (`apply`) via cli');
  });
});

describe('blocking of an option', () => {
  it('says an unestimated blocking is unknown, not that the option applies nothing', () => {
    expect(blockingText(null)).toBe('blocking not estimated');
  });
});
