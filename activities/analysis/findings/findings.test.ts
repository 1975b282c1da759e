import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import { analysisContext } from '../analyze';
import { introspect, type Catalog } from '../../../postgres/introspection';
import { ANALYSIS_FINDING_KINDS } from '.';
import type { AnalysisOptions, FindingExample, FindingKind } from './kind';

let db: TestDatabase;
let client: Client;
beforeAll(async () => {
  db = await createTestDatabase('sw_findings');
  client = new Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** The example's schema exists only inside this transaction, so examples never see each other. */
async function catalogOf(example: FindingExample, extraSql?: string): Promise<Catalog> {
  await client.query(example.sql);
  if (extraSql) await client.query(extraSql);
  const catalog = await introspect(client);
  example.statistics?.(catalog);
  return catalog;
}

/** Each table's and index's storage file: a fix that rewrites a table or rebuilds an index gives it a new one. */
async function relfilenodes(): Promise<Map<string, string>> {
  const { rows } = await client.query<{ table: string; node: string }>(
    `SELECT n.nspname || '.' || c.relname AS table, c.relfilenode::text AS node
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1`,
  );
  return new Map(rows.map((r) => [r.table, r.node]));
}

const run = (kind: FindingKind, catalog: Catalog, options?: AnalysisOptions) =>
  kind.find(analysisContext(catalog, options));

it('has exactly the ids assigned to analysis (IDS.md), each once', () => {
  expect(ANALYSIS_FINDING_KINDS.map((k) => k.id)).toEqual([
    'SW-A-NO-PK',
    'SW-A-FK-NO-INDEX',
    'SW-A-DUPLICATE-INDEX',
    'SW-A-REDUNDANT-INDEX',
    'SW-A-UNUSED-INDEX',
    'SW-A-INVALID-INDEX',
    'SW-A-TIMESTAMP-NO-TZ',
    'SW-A-SERIAL',
    'SW-A-KEY-OVERFLOW',
    'SW-A-CHAR-N',
    'SW-A-JSON',
    'SW-A-SEQ-SCAN',
    'SW-A-PII-UNPROTECTED',
    'SW-A-NEEDS-PARTITIONING',
  ]);
});

describe.each(ANALYSIS_FINDING_KINDS.map((kind) => [kind.id, kind] as const))('%s', (id, kind) => {
  it('has an explanation and examples', () => {
    expect(kind.explanation.length).toBeGreaterThan(40);
    expect(kind.examples.length).toBeGreaterThan(0);
    expect(id).toMatch(/^SW-A-[A-Z-]+$/);
  });

  it.each(kind.examples.map((example) => [example.name, example] as const))('%s', async (_name, example) => {
    await client.query('BEGIN');
    try {
      const findings = run(kind, await catalogOf(example), example.options);
      expect(findings).toHaveLength(example.expect.length);
      example.expect.forEach((expected, n) =>
        expect(findings[n]).toMatchObject({ id, source: 'schemawright', ...expected }),
      );
      for (const finding of findings) {
        expect(finding.why.length).toBeGreaterThan(20);
        expect(['error', 'warning', 'info']).toContain(finding.severity);
      }
      if (example.fixResolves) {
        // The fix runs inside the example's transaction, where CONCURRENTLY is not allowed; it only changes the locking.
        const fixes = findings.map((f) => f.fix!.replace(/\bCONCURRENTLY /g, '')).join('\n');
        await client.query('SAVEPOINT before_fix');
        const before = await relfilenodes();
        await client.query(fixes);
        const after_ = await relfilenodes();
        // A relation still there with a new storage file was rewritten (a table) or rebuilt (an index); dropped ones are not counted.
        expect(
          [...before]
            .filter(([table, node]) => after_.has(table) && after_.get(table) !== node)
            .map(([table]) => table),
        ).toEqual(example.rewrites ?? []);
        const after = await introspect(client);
        example.statistics?.(after);
        expect(run(kind, after, example.options)).toEqual([]);
      }
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
