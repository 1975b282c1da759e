import { modelSpec } from '../model';
import { loadSpec } from '../spec';
import { MODELING_FINDING_KINDS } from '.';

it('has exactly the modeling and requirements ids assigned (IDS.md), each once', () => {
  expect(MODELING_FINDING_KINDS.map((k) => k.id)).toEqual([
    'SW-M-HOT-JOIN',
    'SW-M-PARTITION-PLAN',
    'SW-M-INDEX-PLAN',
    'SW-REQ-TECHNOLOGY-FIT',
    'SW-REQ-REPLICATION',
    'SW-REQ-CACHING',
    'SW-REQ-BACKUP',
    'SW-M-CROSS-TENANT-JOB',
  ]);
});

describe.each(MODELING_FINDING_KINDS.map((kind) => [kind.id, kind] as const))('%s', (id, kind) => {
  it('has an explanation and examples', () => {
    expect(kind.explanation.length).toBeGreaterThan(40);
    expect(kind.examples.length).toBeGreaterThan(0);
  });

  it.each(kind.examples.map((example) => [example.name, example] as const))('%s', async (_name, example) => {
    const spec = await loadSpec(example.spec);
    const findings = modelSpec(spec, { now: new Date('2026-11-27T12:00:00Z') }).findings.filter((f) => f.id === id);
    expect(findings).toHaveLength(example.expect.length);
    example.expect.forEach((expected, n) =>
      expect(findings[n]).toMatchObject({ id, source: 'schemawright', severity: kind.severity, ...expected }),
    );
    for (const finding of findings) expect(finding.why.length).toBeGreaterThan(20);
  });
});
