import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { verifyIndexes } from './index-verification';
import { modelSpec } from './model';
import { loadSpec } from './spec';

const modelOf = async (file: string) => modelSpec(await loadSpec(readFileSync(join(__dirname, '../../examples', file), 'utf8'), file), { now: new Date('2026-11-27T12:00:00Z') });

describe('verifyIndexes: EXPLAIN every access pattern on the designed schema', () => {
  let server: TestDatabase;
  beforeAll(async () => {
    server = await createTestDatabase('sw_verify');
  });
  afterAll(() => server?.drop());

  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml'])('%s: every read uses an index planned for it', async (file) => {
    const model = await modelOf(file);
    const results = await verifyIndexes(model, { connectionString: server.url });
    expect(results.map((r) => r.pattern)).toEqual(model.patterns.map((p) => p.pattern));
    for (const result of results) {
      expect({ pattern: result.pattern, verdict: result.verdict }).toEqual({ pattern: result.pattern, verdict: model.patterns.find((p) => p.pattern === result.pattern)!.kind === 'insert' ? 'write' : 'uses planned index' });
    }
  });

  it('names the index each pattern uses, partitions’ indexes by their parent’s name', async () => {
    const results = await verifyIndexes(await modelOf('metrics.yaml'), { connectionString: server.url });
    expect(results).toEqual([
      { pattern: 'recent samples of a device metric', planned: ['sample_device_id_metric_id_recorded_at_idx'], used: ['sample_device_id_metric_id_recorded_at_idx'], sequentialScans: [], verdict: 'uses planned index' },
      { pattern: 'open alerts', planned: ['alert_raised_at_partial_idx'], used: ['alert_raised_at_partial_idx'], sequentialScans: [], verdict: 'uses planned index' },
      { pattern: 'ingest a sample', planned: [], used: [], sequentialScans: [], verdict: 'write' },
    ]);
  });

  it('flags a pattern no index serves', async () => {
    const spec = await loadSpec(`name: t
entities: { note: { fields: { body: text, tag: text } } }
access_patterns:
  - name: notes containing a word
    sql: SELECT id FROM note WHERE body LIKE '%' || $1 || '%'
    per_second: 5
`);
    const [result] = await verifyIndexes(modelSpec(spec), { connectionString: server.url });
    expect(result).toEqual({ pattern: 'notes containing a word', planned: [], used: [], sequentialScans: ['note'], verdict: 'sequential scan' });
  });
});
