import type { RolloutStatusView } from '../../workflows/rollout-messages';
import { rolloutListPage, rolloutPage } from './rollout-page';

const ref = { digest: 'sha256:0123456789abcdef', size: 1 } as unknown as RolloutStatusView['resolved'];
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

/** A rollout whose title, target names, errors and question text are all someone's attack. */
function hostileView(): RolloutStatusView {
  return {
    rolloutId: `r1"><script>`,
    title: `title ${HOSTILE}`,
    group: `group ${HOSTILE}`,
    requester: 'rita',
    state: 'awaiting-approval',
    paused: false,
    resolved: ref,
    current: { environment: 'production', wave: 2, waves: 3 },
    targets: [
      { name: 'tenant_1', environment: 'production', wave: 1, state: 'applied', detail: '1 of 1 step(s) in 12 ms' },
      { name: `tenant_${HOSTILE}`, environment: 'production', wave: 2, state: 'failed', detail: `step 2: ${HOSTILE}` },
      { name: 'tenant_3', environment: 'production', wave: 3, state: 'pending' },
    ],
    reviews: [],
    questions: [
      {
        id: 'wave:production:2:1',
        trigger: 'SW-ROLLOUT-WAVE-FAILED',
        problem: `Wave 2 of production stopped: tenant_${HOSTILE}`,
        options: [
          { id: 'skip', title: `skip ${HOSTILE}`, risk: 'medium', blockingSeconds: null },
          { id: 'abort', title: 'abort the rest', risk: 'none', blockingSeconds: null },
        ],
        recommendation: { optionId: 'abort', reason: '' },
        state: 'open',
        votes: [],
        quorum: 1,
        askedTo: ['ann'],
        raisedAt: '',
        expiresAt: '2026-12-06T00:00:00.000Z',
        remindersSent: 0,
        escalation: ref,
      },
    ],
  };
}

describe('the rollout page', () => {
  it('shows the stage and wave, the failure with its evidence and the open question, and escapes every text it is given', () => {
    const html = rolloutPage({
      view: hostileView(),
      forms: { person: 'rita', token: `t"><script>`, csrf: 'c' },
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('"><script>');
    expect(html).toContain('title &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Stage production, wave 2 of 3.');
    expect(html).toContain('step 2: &lt;script&gt;');
    expect(html).toContain('Wave 2 of production stopped: tenant_&lt;script&gt;');
    // Skip is offered for the failed and the pending target, retry for the failed one only.
    expect(html.match(/name="action" value="skip"/g)).toHaveLength(2);
    expect(html.match(/name="action" value="retry"/g)).toHaveLength(1);
    expect(html).toContain('name="action" value="pause"');
    expect(html).toContain('action="/rollouts/r1%22%3E%3Cscript%3E/decisions"');
  });

  it('offers no form without a link, and none once the rollout has ended', () => {
    expect(rolloutPage({ view: hostileView() })).not.toContain('<form');
    const ended = { ...hostileView(), state: 'aborted' as const, questions: [], current: undefined };
    const html = rolloutPage({ view: ended, forms: { person: 'rita', token: 't', csrf: 'c' } });
    expect(html).not.toContain('<form method="post"');
  });

  it('lists rollouts with escaped titles', () => {
    const html = rolloutListPage([
      {
        rolloutId: 'r1',
        title: HOSTILE,
        status: 'applying',
        group: 'tenants',
        stage: 'production',
        requester: 'rita',
        startTime: new Date(0),
      },
    ]);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('href="/rollouts/r1"');
    expect(html).toContain('<td>production</td>');
  });
});
