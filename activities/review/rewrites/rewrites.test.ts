import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import { fingerprint, introspect, type Catalog } from '../../../postgres/introspection';
import type { MigrationStep } from '../../../artifacts/migration';
import { parseStatements } from '../../../postgres/parse';
import { parsePgVersion } from '../../../postgres/pg-version';
import { onlineRewriteOf, onlineRewrites } from './index';
import { applyMeasured } from '../../../test/support/measured-steps';
import { blocksOf, lockImpactOf, type LockImpact, type LockMode } from '../locks';
import { strongest } from '../locks/model';

const SETUP = `
CREATE TABLE customers (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint CONSTRAINT orders_customer_id_fkey REFERENCES customers (id), total numeric(10,2), code varchar(20) NOT NULL DEFAULT 'new');
INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, 1 + g % 50, g * 1.5, 'o' || g FROM generate_series(1, 25000) g;
CREATE TABLE "user" (id bigint PRIMARY KEY, "group" text, "limit" int);
INSERT INTO "user" SELECT g, 'g' || g, g FROM generate_series(1, 100) g;
`;

async function withDatabase<T>(work: (client: Client, db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase('sw_rewrite');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(SETUP);
    return await work(client, db);
  } finally {
    await client.end();
    await db.drop();
  }
}

/** Applies steps as the runner does: transactional ones in a transaction, backfills batch by batch until no row changes. */
async function applySteps(client: Client, steps: MigrationStep[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'transactional') await client.query(`BEGIN;\n${step.sql};\nCOMMIT;`);
    else if (step.kind === 'non-transactional') await client.query(step.sql);
    else while (((await client.query(step.sql, [step.batchSize])).rowCount ?? 0) > 0);
  }
}

interface State {
  fingerprint: string;
  rows: unknown[];
}

async function state(client: Client): Promise<State> {
  const catalog = await introspect(client, { statements: 0 });
  const rows = (await client.query('SELECT * FROM orders ORDER BY id')).rows;
  return { fingerprint: fingerprint(catalog), rows };
}

async function rewriteOf(sql: string, catalog: Catalog | undefined, version = '18') {
  const [statement] = await parseStatements(sql);
  return onlineRewriteOf(statement!, { pgVersion: parsePgVersion(version), catalog, stepName: '0001_change#1' });
}

const cases: [string, string][] = [
  ['create-index-concurrently', 'CREATE INDEX orders_total ON orders (total) WHERE total > 10'],
  ['create-index-concurrently', 'CREATE UNIQUE INDEX ON public.orders (code, id)'],
  [
    'constraint-not-valid',
    'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE',
  ],
  ['constraint-not-valid', 'ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers'],
  ['constraint-not-valid', 'ALTER TABLE orders ADD CHECK (total >= 0)'],
  ['constraint-not-valid', 'ALTER TABLE orders ADD CHECK (total >= 0 AND id > 0)'],
  ['set-not-null', 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL'],
  ['unique-using-index', 'ALTER TABLE customers ADD CONSTRAINT customers_email_unique UNIQUE (email)'],
  ['unique-using-index', 'ALTER TABLE public.customers ADD UNIQUE (email)'],
  ['expand-contract-type', 'ALTER TABLE orders ALTER COLUMN code TYPE text'],
  ['expand-contract-type', 'ALTER TABLE orders ALTER COLUMN code TYPE varchar(40) USING upper(code)'],
  // Reserved words as names must come out quoted.
  ['set-not-null', 'ALTER TABLE "user" ALTER COLUMN "group" SET NOT NULL'],
  ['constraint-not-valid', 'ALTER TABLE "user" ADD CHECK ("limit" > 0)'],
  ['unique-using-index', 'ALTER TABLE "user" ADD UNIQUE ("group")'],
];

describe('online rewrites', () => {
  it.each(cases)(
    '%s: %s reaches the same catalog and rows as the statement, and each step takes the lock the plan says and blocks only briefly',
    async (id, sql) => {
      const expected = await withDatabase(async (client) => {
        await client.query(sql);
        return state(client);
      });
      const actual = await withDatabase(async (client, db) => {
        const found = await rewriteOf(sql, await introspect(client, { statements: 0 }));
        expect(found?.rewrite.id).toBe(id);
        // What the plan shows for each step (the lock model over the step's statements), before it runs.
        const claims: LockImpact[][] = [];
        const measures = [];
        for (const step of found!.steps) {
          const catalog = await introspect(client, { statements: 0 });
          const version = parsePgVersion(catalog.meta.serverVersion);
          claims.push(
            (await parseStatements(step.sql)).flatMap((s) => lockImpactOf(s, { pgVersion: version, catalog })),
          );
          measures.push(...(await applyMeasured(client, db.url, [step])));
        }
        measures.forEach((measured, n) => {
          const claimed = claims[n]!;
          const sqlOfStep = measured.step.sql;
          // The lock each step holds on each table the plan names is the one it names.
          const strongestClaim = new Map<string, LockMode>();
          for (const impact of claimed)
            strongestClaim.set(
              impact.table,
              strongest(impact.lock, strongestClaim.get(impact.table) ?? 'ACCESS SHARE'),
            );
          expect({
            sql: sqlOfStep,
            locks: Object.fromEntries([...strongestClaim.keys()].map((t) => [t, measured.locks[t]])),
          }).toEqual({
            sql: sqlOfStep,
            locks: Object.fromEntries(strongestClaim),
          });
          // "Briefly": a step that blocks traffic neither reads a table's rows nor rewrites it.
          for (const [table, lock] of Object.entries(measured.locks))
            if (blocksOf(lock) !== 'nothing')
              expect({
                sql: sqlOfStep,
                table,
                read: measured.rowsRead[table] ?? 0,
                rewritten: measured.rewritten.includes(table),
              }).toEqual({
                sql: sqlOfStep,
                table,
                read: 0,
                rewritten: false,
              });
          // The explanations: VALIDATE and CONCURRENTLY hold SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes.
          if (/\bVALIDATE CONSTRAINT\b|\bCONCURRENTLY\b/.test(sqlOfStep))
            expect(Object.values(measured.locks)).toContain('SHARE UPDATE EXCLUSIVE');
        });
        return state(client);
      });
      expect(actual.fingerprint).toBe(expected.fingerprint);
      expect(actual.rows).toEqual(expected.rows);
    },
  );

  it('the measurement sees what the rewrites avoid: the statements as written block traffic while they read the table', async () => {
    await withDatabase(async (client, db) => {
      const measured = await applyMeasured(client, db.url, [
        { kind: 'transactional', name: 'check', sql: 'ALTER TABLE orders ADD CHECK (total >= 0)' },
        { kind: 'transactional', name: 'index', sql: 'CREATE INDEX orders_total ON orders (total)' },
        { kind: 'non-transactional', name: 'online', sql: 'CREATE INDEX CONCURRENTLY orders_code ON orders (code)' },
        { kind: 'transactional', name: 'type', sql: 'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,3)' },
      ]);
      expect(measured.map(({ locks, rowsRead, rewritten }) => ({ locks, rowsRead, rewritten }))).toEqual([
        { locks: { 'public.orders': 'ACCESS EXCLUSIVE' }, rowsRead: { 'public.orders': 25000 }, rewritten: [] },
        { locks: { 'public.orders': 'SHARE' }, rowsRead: { 'public.orders': 25000 }, rewritten: [] },
        { locks: { 'public.orders': 'SHARE UPDATE EXCLUSIVE' }, rowsRead: {}, rewritten: [] },
        // The copy, then each index built again reads the table.
        {
          locks: { 'public.orders': 'ACCESS EXCLUSIVE' },
          rowsRead: { 'public.orders': 100000 },
          rewritten: ['public.orders', 'public.orders_code', 'public.orders_pkey', 'public.orders_total'],
        },
      ]);
    });
  });

  it('CREATE INDEX becomes one non-transactional step whose undo drops the index', async () => {
    const found = await rewriteOf('CREATE INDEX orders_total ON s.orders (total)', undefined);
    expect(found?.steps).toEqual([
      {
        kind: 'non-transactional',
        name: '0001_change#1~online1',
        sql: 'CREATE INDEX CONCURRENTLY orders_total ON s.orders (total)',
        undo: 'DROP INDEX CONCURRENTLY IF EXISTS s.orders_total',
      },
    ]);
  });

  it('a foreign key becomes NOT VALID then VALIDATE, named as PostgreSQL would name it; undoing the first step restores the catalog', async () => {
    await withDatabase(async (client) => {
      const before = await state(client);
      const found = await rewriteOf(
        'ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers',
        await introspect(client, { statements: 0 }),
      );
      expect(found!.steps.map((s) => [s.kind, s.sql, s.undo])).toEqual([
        [
          'transactional',
          'ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey1 FOREIGN KEY(customer_id) REFERENCES customers NOT VALID',
          'ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_customer_id_fkey1',
        ],
        ['transactional', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey1', undefined],
      ]);
      await applySteps(client, found!.steps.slice(0, 1));
      await client.query(found!.steps[0]!.undo!);
      expect((await state(client)).fingerprint).toBe(before.fingerprint);
    });
  });

  it('the type change backfills in batches of $1 rows', async () => {
    await withDatabase(async (client) => {
      const found = await rewriteOf(
        'ALTER TABLE orders ALTER COLUMN code TYPE text',
        await introspect(client, { statements: 0 }),
      );
      expect(found!.steps.map((s) => s.kind)).toEqual([
        'transactional',
        'backfill',
        'transactional',
        'transactional',
        'transactional',
      ]);
      expect(found!.steps[1]).toMatchObject({ batchSize: 10_000, sql: expect.stringContaining('LIMIT $1') });
    });
  });

  it('declines what it cannot do safely', async () => {
    await withDatabase(async (client) => {
      const catalog = await introspect(client, { statements: 0 });
      // customer_id carries a foreign key and an index: dropping the column would take them along.
      expect(await rewriteOf('ALTER TABLE orders ALTER COLUMN customer_id TYPE integer', catalog)).toBeUndefined();
      expect(await rewriteOf('ALTER TABLE orders ALTER COLUMN code TYPE text', undefined)).toBeUndefined();
      expect(
        await rewriteOf('ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL', catalog, '11'),
      ).toBeUndefined();
      expect(await rewriteOf('CREATE INDEX CONCURRENTLY o ON orders (total)', catalog)).toBeUndefined();
      // PostgreSQL cannot build an index on a partitioned table concurrently.
      await client.query(
        'CREATE TABLE clicks (at timestamptz, total numeric) PARTITION BY RANGE (at); CREATE TABLE clicks_default PARTITION OF clicks DEFAULT',
      );
      expect(
        await rewriteOf('CREATE INDEX clicks_total ON clicks (total)', await introspect(client, { statements: 0 })),
      ).toBeUndefined();
      expect(
        await rewriteOf('ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID', catalog),
      ).toBeUndefined();
      expect(
        await rewriteOf('ALTER TABLE orders ADD COLUMN note text, ALTER COLUMN customer_id SET NOT NULL', catalog),
      ).toBeUndefined();
      // A view reading code would stop the contract's DROP COLUMN; one reading other columns does not matter.
      expect(await rewriteOf('ALTER TABLE orders ALTER COLUMN code TYPE text', catalog)).toBeDefined();
      await client.query(
        'CREATE VIEW order_totals AS SELECT id, total FROM orders; CREATE VIEW order_codes AS SELECT id, code FROM orders',
      );
      expect(
        await rewriteOf('ALTER TABLE orders ALTER COLUMN code TYPE text', await introspect(client, { statements: 0 })),
      ).toBeUndefined();
      await client.query('DROP VIEW order_codes');
      expect(
        await rewriteOf('ALTER TABLE orders ALTER COLUMN code TYPE text', await introspect(client, { statements: 0 })),
      ).toBeDefined();
    });
  });

  it('each rewrite says why', () => {
    expect(onlineRewrites.map((r) => r.id)).toEqual([
      'create-index-concurrently',
      'constraint-not-valid',
      'set-not-null',
      'unique-using-index',
      'expand-contract-type',
    ]);
    for (const rewrite of onlineRewrites) expect(rewrite.explanation.length).toBeGreaterThan(80);
  });
});
