import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { planMigrations, type Plan } from '../../activities/review/plan';
import { targetVariable } from '../../config/targets';
import { createTestDatabase, type TestDatabase } from '../support/stack';

const ROOT = join(__dirname, '../..');

function plan(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/schemawright.ts', 'plan', ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('schemawright plan', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-plan-'));
    writeFileSync(
      join(dir, '001_orders.up.sql'),
      'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders ADD COLUMN note text;\n',
    );
    writeFileSync(
      join(dir, '002_index.up.sql'),
      'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);\nALTER TABLE orders ALTER COLUMN code TYPE text;\n',
    );
    db = await createTestDatabase('sw_plan');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, code varchar(20));
      INSERT INTO orders SELECT g, g % 100, 'c' || g FROM generate_series(1, 20000) g;
      ANALYZE orders;`);
    await client.end();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('lists the steps in order with their locks; without a target, size-dependent blocking is unknown', async () => {
    const { code, stdout } = await plan([dir, '--pg-version', '16', '--format', 'json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Plan;
    expect(result.sized).toBe(false);
    expect(
      result.migrations.map((m) =>
        m.steps.map((s) => [s.name, s.kind, s.locks.map((l) => `${l.lock} ${l.table}`), s.blocks, s.blockingSeconds]),
      ),
    ).toEqual([
      [['001_orders#1', 'transactional', ['ACCESS EXCLUSIVE public.orders'], 'reads+writes', null]],
      [
        ['002_index#1', 'non-transactional', ['SHARE UPDATE EXCLUSIVE public.orders'], 'nothing', 0],
        ['002_index#2', 'transactional', ['ACCESS EXCLUSIVE public.orders'], 'reads+writes', null],
      ],
    ]);
  });

  it('a table an earlier file creates is known to be empty in a later one', async () => {
    const result = await planMigrations(
      [
        { path: '001_events.up.sql', up: 'CREATE TABLE events (id bigint, kind varchar(20));' },
        { path: '002_events.up.sql', up: 'ALTER TABLE events ALTER COLUMN kind TYPE integer USING kind::integer;' },
      ],
      { pgVersion: '16' },
    );
    expect(result.migrations[1]!.steps.map((s) => [s.locks.map((l) => [l.table, l.rows]), s.blockingSeconds])).toEqual([
      [[['public.events', 0]], 0],
    ]);
  });

  it('with --target NAME reads the sizes and column types: varchar to text is no rewrite there', async () => {
    const { code, stdout, stderr } = await plan([dir, '--target', 'plan_shop', '--format', 'json'], {
      [targetVariable('plan_shop')]: db.url,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Plan;
    expect(result.sized).toBe(true);
    const [first, second] = result.migrations;
    expect(first!.steps[0]!.locks[0]).toMatchObject({
      table: 'public.orders',
      lock: 'ACCESS EXCLUSIVE',
      scans: true,
      rewrites: false,
      rows: 20000,
    });
    expect(first!.steps[0]!.blockingSeconds).toBeGreaterThan(0);
    expect(second!.steps[1]!.locks[0]).toMatchObject({ lock: 'ACCESS EXCLUSIVE', rewrites: false, scans: false });
    expect(second!.steps[1]!.blockingSeconds).toBe(0);
  });

  it('prints a readable plan', async () => {
    const { stdout } = await plan([join(dir, '002_index.up.sql'), '--pg-version', '16']);
    expect(stdout.split('\n')).toEqual([
      'Plan for PostgreSQL 16.0 (no target: blocking times of size-dependent work are unknown)',
      '',
      `${join(dir, '002_index.up.sql')}  (blocking unknown)`,
      '  1. 002_index#1  non-transactional',
      '       CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)',
      '       takes SHARE UPDATE EXCLUSIVE on public.orders (scans): blocks nothing',
      '       blocking: none',
      '  2. 002_index#2  transactional',
      '       ALTER TABLE orders ALTER COLUMN code TYPE text;',
      '       takes ACCESS EXCLUSIVE on public.orders (rewrites): blocks reads+writes',
      '       blocking: reads+writes, unknown',
      '',
    ]);
  });

  it("prints every statement of a step, so its lock is not read as the first statement's", async () => {
    const { stdout } = await plan([join(dir, '001_orders.up.sql'), '--pg-version', '16']);
    expect(stdout.split('\n').slice(3)).toEqual([
      '  1. 001_orders#1  transactional',
      '       ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;',
      '       ALTER TABLE orders ADD COLUMN note text;',
      '       takes ACCESS EXCLUSIVE on public.orders (scans): blocks reads+writes',
      '       blocking: reads+writes, unknown',
      '',
    ]);
  });

  it('says what is wrong with an unknown format', async () => {
    const { code, stderr } = await plan([dir, '--format', 'yaml']);
    expect(code).toBe(1);
    expect(stderr).toContain('--format yaml is not known: use text or json.');
  });
});
