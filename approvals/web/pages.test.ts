import type { QuestionView, RequestStatusView } from '../../workflows/design-request-messages';
import type { QuestionDetails } from '../question-details';
import { decisionPage, requestPage } from './pages';

const question: QuestionView = {
  id: 'SW-ESC-LOCK:orders',
  trigger: 'SW-ESC-LOCK',
  problem: 'CREATE INDEX on orders blocks writes for about 4 minutes',
  options: [
    { id: 'online', title: 'Build it CONCURRENTLY', risk: 'low', blockingSeconds: 0 },
    { id: 'window', title: 'Maintenance window', risk: 'medium', blockingSeconds: 240 },
    { id: 'reject', title: 'Reject the request', risk: 'none', blockingSeconds: null },
  ],
  recommendation: { optionId: 'online', reason: 'writes never stop' },
  state: 'decided',
  chosenOptionId: 'window',
  votes: [{ person: 'ann', optionId: 'window', channel: 'web', at: '2026-12-04T16:00:00.000Z' }],
  quorum: 1,
  askedTo: ['ann'],
  raisedAt: '2026-12-04T15:59:00.000Z',
  expiresAt: '2026-12-05T15:59:00.000Z',
  remindersSent: 0,
  escalation: { digest: `sha256:${'0'.repeat(64)}`, kind: 'escalation', sizeBytes: 1 },
};
const status: RequestStatusView = {
  requestId: 'req-1',
  kind: 'change',
  title: 'index orders',
  target: 'shop',
  environment: 'production',
  requester: 'rita',
  state: 'applying',
  phase: 'apply',
  questions: [question],
  timeline: [],
  artifacts: {},
};
const details: QuestionDetails = {
  question,
  attempted: [],
  principles: [],
  options: question.options.map((o) => ({ ...o, recommended: o.id === 'online' })),
};

describe('web pages name options by their titles', () => {
  it('the request page: the recommendation and who chose what', () => {
    const html = requestPage({ status, findings: [], details: [details] });
    expect(html).toContain('Recommendation: Build it CONCURRENTLY, because writes never stop');
    expect(html).toContain('ann chose <strong>Maintenance window</strong> via web');
  });

  it('the decision page: the recommendation', () => {
    const html = decisionPage({ status, details, person: 'bob', token: 't', csrf: 'c' });
    expect(html).toContain('<strong>Recommendation</strong>: Build it CONCURRENTLY, because writes never stop');
  });
});
