import type { RequestStatusView } from '../../workflows/design-request-messages';
import { progressLines } from './requests';

const at = '2026-12-06T00:00:00.000Z';
const viewOf = (phase: string, state: string, phases: [string, string][]) =>
  ({
    phase,
    state,
    timeline: phases.map(([name, detail]) => ({ at, event: `phase ${name}`, detail })),
  }) as unknown as RequestStatusView;

describe("request's progress", () => {
  it('shows every phase the request went through, however short, once each', () => {
    const shown = { told: 0, last: '' };
    expect(
      progressLines(
        viewOf('analysis', 'running', [
          ['kickoff', 'running'],
          ['analysis', 'running'],
        ]),
        shown,
      ),
    ).toEqual(['kickoff (running)', 'analysis (running)']);
    // Modeling and review both ended between two reads: still shown, in order.
    const atGate = viewOf('gates', 'awaiting-approval', [
      ['kickoff', 'running'],
      ['analysis', 'running'],
      ['modeling', 'running'],
      ['review', 'running'],
      ['gates', 'awaiting-approval'],
    ]);
    expect(progressLines(atGate, shown)).toEqual([
      'modeling (running)',
      'review (running)',
      'gates (awaiting-approval)',
    ]);
    expect(progressLines(atGate, shown)).toEqual([]);
  });

  it('shows where the request is when its timeline names no phase for it (its end)', () => {
    const shown = { told: 0, last: '' };
    expect(progressLines(viewOf('done', 'completed', [['apply', 'applying']]), shown)).toEqual([
      'apply (applying)',
      'done (completed)',
    ]);
  });
});
