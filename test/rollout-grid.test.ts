import { rolloutGrid } from '../cli/commands/rollout';
import type { RolloutStatusView } from '../workflows/rollout-messages';

const ref = {
  digest: 'sha256:0123456789abcdef0123456789abcdef',
  size: 1,
} as unknown as RolloutStatusView['reviews'][number]['migration'];

describe('`schemawright rollout status` shows a grid', () => {
  it('one line per stage and wave with a mark per target, the current wave, what failed and what is asked', () => {
    const view: RolloutStatusView = {
      rolloutId: 'r1',
      title: 'orders get a note',
      group: 'tenants',
      requester: 'rita',
      state: 'awaiting-approval',
      paused: false,
      resolved: ref,
      current: { environment: 'production', wave: 2, waves: 3 },
      targets: [
        { name: 't1', environment: 'production', wave: 1, state: 'applied', detail: '1 of 1 step(s) in 12 ms' },
        { name: 't2', environment: 'production', wave: 2, state: 'applied' },
        { name: 't3', environment: 'production', wave: 2, state: 'failed', detail: 'could not get the lock' },
        { name: 't4', environment: 'production', wave: 3, state: 'pending' },
        { name: 't5', environment: 'production', wave: 3, state: 'skipped', detail: 'skipped by rita' },
      ],
      reviews: [{ fingerprint: 'f', migration: ref, steps: 1, escalations: [], report: ref, reviewedOn: 't1' }],
      questions: [
        {
          id: 'wave:production:2:1',
          trigger: 'SW-ROLLOUT-WAVE-FAILED',
          problem: 'Wave 2 of production stopped: t3',
          options: [
            { id: 'skip', title: '', risk: 'medium', blockingSeconds: null },
            { id: 'retry', title: '', risk: 'low', blockingSeconds: null },
            { id: 'abort', title: '', risk: 'none', blockingSeconds: null },
          ],
          recommendation: { optionId: 'abort', reason: '' },
          state: 'open',
          votes: [],
          quorum: 1,
          askedTo: ['ann', 'bob'],
          raisedAt: '',
          expiresAt: '',
          remindersSent: 0,
          escalation: ref,
        },
      ],
    };
    expect(rolloutGrid(view).split('\n')).toEqual([
      'rollout r1: orders get a note (group tenants, by rita)',
      'state: awaiting-approval; now: production, wave 2 of 3',
      'reviews: sha256:0123456789ab (1 step(s), on t1)',
      '  production wave 1        #  1 applied',
      '  production wave 2        #X  1 applied, 1 failed',
      '  production wave 3        .s  1 pending, 1 skipped',
      '  (. pending, ~ applying, # applied, = unchanged, X failed, s skipped, d drifted, - aborted)',
      '  failed t3: could not get the lock',
      '  skipped t5: skipped by rita',
      'question wave:production:2:1 (asked to ann, bob): Wave 2 of production stopped: t3',
      '  options: skip, retry, abort',
    ]);
  });
});
