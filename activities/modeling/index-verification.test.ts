import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, testStack, uniqueName, type TestDatabase } from '../../test/support/stack';
import { verifyIndexes } from './index-verification';
import { modelSpec } from './model';
import { loadSpec } from './spec';

const modelOf = async (file: string) =>
  modelSpec(await loadSpec(readFileSync(join(__dirname, '../../examples', file), 'utf8'), file), {
    now: new Date('2026-11-27T12:00:00Z'),
  });

describe('verifyIndexes: EXPLAIN every access pattern on the designed schema', () => {
  let server: TestDatabase;
  beforeAll(async () => {
    server = await createTestDatabase('sw_verify');
  });
  afterAll(() => server?.drop());

  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml', 'helpdesk.yaml'])(
    '%s: every read uses an index planned for it',
    async (file) => {
      const model = await modelOf(file);
      const { patterns: results } = await verifyIndexes(model, { connectionString: server.url });
      expect(results.map((r) => r.pattern)).toEqual(model.patterns.map((p) => p.pattern));
      for (const result of results) {
        expect({ pattern: result.pattern, verdict: result.verdict }).toEqual({
          pattern: result.pattern,
          verdict:
            model.patterns.find((p) => p.pattern === result.pattern)!.kind === 'insert'
              ? 'write'
              : 'uses planned index',
        });
      }
    },
  );

  it('names the index each pattern uses, partitions’ indexes by their parent’s name', async () => {
    const { patterns } = await verifyIndexes(await modelOf('metrics.yaml'), { connectionString: server.url });
    expect(patterns).toEqual([
      {
        pattern: 'recent samples of a device metric',
        planned: ['sample_device_id_metric_id_recorded_at_idx'],
        used: ['sample_device_id_metric_id_recorded_at_idx'],
        sequentialScans: [],
        sorts: false,
        cost: expect.any(Number),
        verdict: 'uses planned index',
      },
      {
        pattern: 'open alerts',
        planned: ['alert_raised_at_partial_idx'],
        used: ['alert_raised_at_partial_idx'],
        sequentialScans: [],
        sorts: false,
        cost: expect.any(Number),
        verdict: 'uses planned index',
      },
      { pattern: 'ingest a sample', planned: [], used: [], sequentialScans: [], sorts: false, verdict: 'write' },
    ]);
  });

  it('reads the patterns with the design’s schema on the search path, as the application would', async () => {
    const text = readFileSync(join(__dirname, '../../examples/ecommerce.yaml'), 'utf8').replace(
      /^name: shop$/m,
      'name: shop\nschema: app',
    );
    const model = modelSpec(await loadSpec(text), { now: new Date('2026-11-27T12:00:00Z') });
    expect(model.schema).toBe('app');
    const { patterns } = await verifyIndexes(model, { connectionString: server.url });
    expect(patterns.map((p) => p.verdict)).toEqual(model.patterns.map(() => 'uses planned index'));
  });

  it('flags a pattern no index serves', async () => {
    const spec = await loadSpec(`name: t
entities: { note: { fields: { body: text, tag: text } } }
access_patterns:
  - name: notes containing a word
    sql: SELECT id FROM note WHERE body LIKE '%' || $1 || '%'
    per_second: 5
`);
    const [result] = (await verifyIndexes(modelSpec(spec), { connectionString: server.url })).patterns;
    expect(result).toEqual({
      pattern: 'notes containing a word',
      planned: [],
      used: [],
      sequentialScans: ['note'],
      sorts: false,
      cost: expect.any(Number),
      verdict: 'sequential scan',
    });
  });

  it('judges a pattern at the spec’s volume: the same lookup uses its index at ten million rows, and reads forty rows whole', async () => {
    const specAt = (rows: number) =>
      loadSpec(`name: t
entities: { note: { fields: { tag: text, body: text }, volume: { rows: ${rows} } } }
access_patterns:
  - { name: notes with a tag, sql: "SELECT id, body FROM note WHERE tag = $1", per_second: 5 }
`);
    const large = await verifyIndexes(modelSpec(await specAt(10_000_000)), { connectionString: server.url });
    expect(large.tables).toEqual([{ table: 'note', rows: 10_000_000, basis: 'spec volume', sampled: 1000 }]);
    expect(large.patterns).toEqual([
      {
        pattern: 'notes with a tag',
        planned: ['note_tag_idx'],
        used: ['note_tag_idx'],
        sequentialScans: [],
        sorts: false,
        cost: expect.any(Number),
        verdict: 'uses planned index',
      },
    ]);
    const small = await verifyIndexes(modelSpec(await specAt(40)), { connectionString: server.url });
    expect(small.tables).toEqual([{ table: 'note', rows: 40, basis: 'spec volume', sampled: 40 }]);
    expect(small.patterns).toEqual([
      {
        pattern: 'notes with a tag',
        planned: ['note_tag_idx'],
        used: [],
        sequentialScans: ['note'],
        sorts: false,
        cost: expect.any(Number),
        verdict: 'sequential scan',
      },
    ]);
  });

  it('runs as a table owner who is no superuser, under the tenant policies it forces', async () => {
    const role = uniqueName('sw_owner');
    const admin = new Client({ connectionString: testStack().postgresAdminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${role}'`);
      const url = new URL(server.url);
      url.username = role;
      url.password = role;
      const model = await modelOf('saas.yaml');
      const { tables, patterns } = await verifyIndexes(model, { connectionString: url.toString() });
      expect(tables.filter((t) => t.error)).toEqual([]);
      expect(patterns.map((p) => p.verdict)).toEqual(model.patterns.map(() => 'uses planned index'));
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('helpdesk: a status list in a partial predicate gives ORDER BY order with no Sort at the spec’s volumes; in the key it would sort', async () => {
    const model = await modelOf('helpdesk.yaml');
    const partial = model.indexes.find((i) => i.patterns.includes('sla queue'))!;
    expect(partial).toMatchObject({
      name: 'ticket_account_id_opened_at_partial_idx',
      keys: [
        { column: 'account_id', descending: false },
        { column: 'opened_at', descending: false },
      ],
      where: "status IN ('new', 'open', 'pending')",
    });
    const sla = (await verifyIndexes(model, { connectionString: server.url })).patterns.find(
      (p) => p.pattern === 'sla queue',
    );
    expect(sla).toMatchObject({ used: [partial.name], sorts: false, verdict: 'uses planned index' });

    // The alternative the rationale rejects: status in the key returns each status's rows in order, then a Sort.
    const keyed = {
      ...partial,
      name: 'ticket_account_id_status_opened_at_idx',
      keys: [partial.keys[0]!, { column: 'status', descending: false }, partial.keys[1]!],
      where: null,
    };
    const variant = {
      ...model,
      indexes: model.indexes.map((i) => (i === partial ? keyed : i)),
      ddl: model.ddl.replace(
        /CREATE INDEX ticket_account_id_opened_at_partial_idx[^;]*;/,
        'CREATE INDEX ticket_account_id_status_opened_at_idx ON public.ticket (account_id, status, opened_at);',
      ),
    };
    const sorted = (await verifyIndexes(variant, { connectionString: server.url })).patterns.find(
      (p) => p.pattern === 'sla queue',
    );
    expect(sorted!.sorts).toBe(true);
  });

  it('helpdesk: an index never INCLUDEs an unbounded column, and the read it serves still uses it without a sort', async () => {
    const model = await modelOf('helpdesk.yaml');
    const messages = model.indexes.find((i) => i.patterns.includes('messages of a ticket'))!;
    expect(messages.include).toEqual([]);
    expect(messages.rationale).toContain('No INCLUDE: body has no bounded width');
    const result = (await verifyIndexes(model, { connectionString: server.url })).patterns.find(
      (p) => p.pattern === 'messages of a ticket',
    );
    expect(result).toMatchObject({ used: [messages.name], sorts: false, verdict: 'uses planned index' });
  });
});
