import type { StatusNotification } from '../workflows/design-request-messages';
import { observeAudit, observeNotification, registry } from './metrics';

async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as { value: number; labels: Record<string, string>; metricName?: string }[] | undefined)?.find(
    (v) =>
      (v.metricName ?? name) === (name.endsWith('_seconds') ? `${name}_count` : name) &&
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  )?.value;
}

describe('schemawright metrics', () => {
  it('a decided question observes its wait since it was raised', async () => {
    const raisedAt = new Date(Date.now() - 90_000).toISOString();
    observeNotification({
      kind: 'decided',
      requestId: 'r1',
      recipients: [],
      questionId: 'approve',
      summary: '',
      status: { questions: [{ id: 'approve', state: 'decided', raisedAt }] },
    } as unknown as StatusNotification);
    expect(await value('schemawright_gate_wait_seconds', { outcome: 'decided' })).toBe(1);
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'schemawright_gate_wait_seconds')!;
    const sum = (metric.values as { value: number; metricName?: string }[]).find(
      (v) => v.metricName === 'schemawright_gate_wait_seconds_sum',
    )!.value;
    expect(sum).toBeGreaterThanOrEqual(90);
  });

  it('a decision told with its question (not the whole view) observes that question as it stood when told', async () => {
    const raisedAt = new Date(Date.now() - 30_000).toISOString();
    observeNotification({
      kind: 'decided',
      requestId: 'r2',
      recipients: [],
      questionId: 'approve',
      summary: '',
      question: { id: 'approve', state: 'rejected', raisedAt },
      // Read when delivered: the request has moved on, and this view no longer shows the question.
      status: { questions: [] },
    } as unknown as StatusNotification);
    expect(await value('schemawright_gate_wait_seconds', { outcome: 'rejected' })).toBe(1);
  });

  it('counts refusals by channel and action, never by what a caller sent', async () => {
    observeAudit({ kind: 'refused', requestId: '-', target: 't', channel: 'api', data: { action: 'decide' } });
    observeAudit({ kind: 'refused', requestId: '-', target: 't', channel: 'api', data: { action: 'many', count: 7 } });
    observeAudit({
      kind: 'refused',
      requestId: '-',
      target: 't',
      channel: 'evil"} 1\nfake{',
      data: { action: 'DROP TABLE x; password=hunter2' },
    });
    observeAudit({ kind: 'decision', requestId: 'r', target: 't', channel: 'api', data: { action: 'decide' } });
    expect(await value('schemawright_refusals_total', { channel: 'api', action: 'decide' })).toBe(1);
    expect(await value('schemawright_refusals_total', { channel: 'api', action: 'many' })).toBe(7);
    expect(await value('schemawright_refusals_total', { channel: 'other', action: 'other' })).toBe(1);
    expect(await registry.metrics()).not.toContain('hunter2');
  });
});
