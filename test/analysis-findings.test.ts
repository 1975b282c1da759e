import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/stack';
import { analysisContext } from '../activities/analysis/analyze';
import { introspect, type Catalog } from '../postgres/introspection';
import { ANALYSIS_FINDING_KINDS } from '../activities/analysis/findings';
import type { AnalysisOptions, FindingExample, FindingKind } from '../activities/analysis/findings/kind';
import { fixFileOf } from '../activities/analysis/fixes';
import { stepsOfSql } from '../postgres/steps';
import { parsePgVersion } from '../postgres/pg-version';
import { applyMeasured } from './support/measured-steps';
import { LOCK_MODES, type LockMode } from '../activities/review/locks';
import { strongest } from '../activities/review/locks/model';

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

/** A lock mode as a text names it, the longest name first so `ACCESS EXCLUSIVE` is not read as `EXCLUSIVE`. */
const LOCK_MODE_NAMES = new RegExp(`\\b(?:${[...LOCK_MODES].sort((a, b) => b.length - a.length).join('|')})\\b`, 'g');

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
    } finally {
      await client.query('ROLLBACK');
    }
  });

  const withFixes = kind.examples.filter((example) => example.fixResolves || example.fixRuns);
  if (withFixes.length > 0)
    it.each(withFixes.map((example) => [example.name, example] as const))(
      'fixes %s as the runner applies them, each taking the lock it is said to take',
      async (_name, example) => {
        // Committed in a database of its own, so the locks read are the fix's alone.
        const own = await createTestDatabase('sw_fix');
        const fixing = new Client({ connectionString: own.url });
        await fixing.connect();
        try {
          await fixing.query(example.sql);
          const before = await introspect(fixing);
          example.statistics?.(before);
          const findings = run(kind, before, example.options);
          expect(findings.length).toBeGreaterThan(0);
          const fixFile = fixFileOf(findings, 'fix');
          const steps = await stepsOfSql('fix', fixFile.up, parsePgVersion(before.meta.serverVersion));
          const measured = await applyMeasured(fixing, own.url, steps);
          // A relation still there with a new storage file was rewritten (a table) or rebuilt (an index).
          expect([...new Set(measured.flatMap((m) => m.rewritten))].sort()).toEqual(
            [...(example.rewrites ?? [])].sort(),
          );
          const locks: Record<string, LockMode> = {};
          for (const m of measured)
            for (const [table, lock] of Object.entries(m.locks)) locks[table] = strongest(lock, locks[table] ?? lock);
          expect(locks).toEqual(example.locks ?? {});
          // What the finding says of its fix: a lock mode it names is one the fix takes; CONCURRENTLY blocks no writes.
          const said = [kind.explanation, kind.remedy, ...findings.flatMap((f) => [f.why, f.fix ?? ''])].join(' ');
          const named = new Set([...said.matchAll(LOCK_MODE_NAMES)].map((m) => m[0]));
          for (const mode of named)
            expect({ named: mode, taken: Object.values(locks) }).toEqual({
              named: mode,
              taken: expect.arrayContaining([mode]),
            });
          if (findings.some((f) => /\bCONCURRENTLY\b/.test(f.fix ?? '')))
            for (const m of measured.filter((m) => /\bCONCURRENTLY\b/.test(m.step.sql)))
              expect(Object.values(m.locks)).toEqual(['SHARE UPDATE EXCLUSIVE']);
          const after = await introspect(fixing);
          example.statistics?.(after);
          expect(run(kind, after, example.options)).toEqual(example.fixResolves ? [] : findings);
        } finally {
          await fixing.end();
          await own.drop();
        }
      },
    );
});
