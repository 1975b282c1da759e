import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { modelDesign } from '.';

describe('modelDesign leaves out the indexes EXPLAIN shows unused at the spec’s volumes', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase('sw_unused_index');
  });
  afterAll(() => target?.drop());

  const specAt = (rows: number) => `name: t
entities: { note: { fields: { tag: text, body: text }, volume: { rows: ${rows} } } }
access_patterns:
  - { name: notes with a tag, sql: "SELECT id, body FROM note WHERE tag = $1", per_second: 5 }
`;

  it('forty rows are read whole: the index is not built, and the documents say why', async () => {
    const design = await modelDesign(specAt(40), { target: { connectionString: target.url } });
    expect(design.verification!.patterns[0]).toMatchObject({ used: [], sequentialScans: ['note'] });
    expect(design.model.indexes.map((i) => i.name)).toEqual(['note_pkey']);
    expect(design.model.ddl).not.toContain('note_tag_idx');
    expect(design.migration!.steps.map((s) => s.sql).filter((sql) => /note_tag_idx/.test(sql))).toEqual([]);
    expect(design.model.droppedIndexes).toEqual([
      {
        name: 'note_tag_idx',
        table: 'note',
        reason:
          "EXPLAIN at the spec's volumes reads it for none of 'notes with a tag': 'notes with a tag' reads note whole. Left out, it costs no write.",
      },
    ]);
    expect(design.findings.filter((f) => f.id === 'SW-M-INDEX-PLAN')).toEqual([]);
    expect(design.documents['index-plan']).toContain('## Left out after EXPLAIN');
  });

  it('ten million rows use it: it stays', async () => {
    const design = await modelDesign(specAt(10_000_000), { target: { connectionString: target.url } });
    expect(design.model.droppedIndexes).toEqual([]);
    expect(design.migration!.steps.some((s) => /CREATE INDEX note_tag_idx/i.test(s.sql))).toBe(true);
  });
});
