import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/stack';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `schemawright design` as a user runs it. */
function design(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const { DATABASE_URL: _store, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/schemawright.ts', 'design', ...args],
      { cwd: `${__dirname}/..`, env: { ...inherited, ...env } },
      (error, stdout, stderr) => {
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('schemawright design', () => {
  let target: TestDatabase;
  let out: string;
  beforeAll(async () => {
    target = await createTestDatabase('sw_design_cli');
    out = mkdtempSync(join(tmpdir(), 'sw-design-'));
  });
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await target?.drop();
  });

  it('prints every error of an invalid spec with file, line, column and fix, and exits 1', async () => {
    const spec = join(out, 'bad.yaml');
    writeFileSync(
      spec,
      'name: shop\nentities:\n  customer:\n    fields: { email: txt }\n  order:\n    fields:\n      customer: { ref: custmer }\n',
    );
    const run = await design({}, spec);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${spec} has 2 errors; fix them and run again:`);
    expect(run.stderr).toContain(
      `${spec}:4:22: entities.customer.fields.email: unknown type 'txt'; did you mean 'text'?`,
    );
    expect(run.stderr).toContain(
      `${spec}:7:24: entities.order.fields.customer.ref: unknown entity 'custmer'; did you mean 'customer'?`,
    );
  });

  it('says what to do about a spec that does not exist', async () => {
    const run = await design({}, 'examples/nope.yaml');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'cannot read the spec examples/nope.yaml: no such file. Pass the path of a design spec (see docs/spec.md and examples/).',
    );
  });

  it('designs examples/ecommerce.yaml against a target named shop: JSON on stdout, the documents and both migrations in --out, and no password anywhere', async () => {
    const password = decodeURIComponent(new URL(target.url).password);
    const run = await design(
      { SCHEMAWRIGHT_TARGET_SHOP_URL: target.url },
      'examples/ecommerce.yaml',
      '--target',
      'shop',
      '--format',
      'json',
      '--out',
      out,
    );
    expect(run.stderr).toContain('designing the migration on a shadow database...');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as {
      migration: { steps: { sql: string }[]; down: unknown[] };
      verification: { tables: { table: string; rows: number }[]; patterns: { verdict: string }[] };
      findings: { id: string }[];
    };
    expect(result.migration.steps.some((s) => /create table "public"."order"/.test(s.sql))).toBe(true);
    expect(result.verification.patterns.map((v) => v.verdict)).toEqual(Array(6).fill('uses planned index'));
    expect(result.verification.tables.find((t) => t.table === 'order_line')).toMatchObject({
      rows: 150_000_000,
      basis: 'spec volume',
      sampled: 1000,
    });
    expect(new Set(result.findings.map((f) => f.id))).toEqual(
      new Set([
        'SW-M-HOT-JOIN',
        'SW-M-PARTITION-PLAN',
        'SW-M-INDEX-PLAN',
        'SW-REQ-REPLICATION',
        'SW-REQ-CACHING',
        'SW-REQ-BACKUP',
      ]),
    );
    expect(readdirSync(out).sort()).toEqual([
      'bad.yaml',
      'down.sql',
      'erd.md',
      'index-plan.md',
      'report.md',
      'schema.sql',
      'up.sql',
    ]);
    expect(readFileSync(join(out, 'erd.md'), 'utf8')).toContain('## Current schema of the target');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| order_line | 150,000,000 | spec volume | 1000 |');
    expect(readFileSync(join(out, 'index-plan.md'), 'utf8')).toContain(
      '| `order_customer_id_placed_at_idx` | order | customer_id, placed_at DESC | id, total, status |',
    );
    expect(
      run.stdout +
        run.stderr +
        readdirSync(out)
          .map((f) => readFileSync(join(out, f), 'utf8'))
          .join(''),
    ).not.toContain(password);

    // The up migration it wrote applies to the target as it stands.
    const client = new Client({ connectionString: target.url });
    await client.connect();
    try {
      await client.query(readFileSync(join(out, 'up.sql'), 'utf8'));
      expect(
        (await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n,
        // 7 tables and order_line's 8 hash partitions (by order_id, its reads' key); order stays whole, its reads filter on customer_id.
      ).toBe(7 + 8);
    } finally {
      await client.end();
    }
  });

  it('prints the report as markdown without a target, and says the patterns were not verified', async () => {
    const run = await design({}, 'examples/saas.yaml', '--format', 'markdown');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('# Design: tracker');
    expect(run.stdout).toContain('## Row-level security');
    expect(run.stdout).toContain(
      'Not verified: there was no PostgreSQL server to EXPLAIN the patterns on (give a target).',
    );
  });
});
