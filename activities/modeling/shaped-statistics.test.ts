import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { modelSpec } from './model';
import { shapeStatistics, type RowCountMethod } from './shaped-statistics';
import { loadSpec } from './spec';
import { SPEC_COLUMN_TYPES } from './spec/column-types';

const SHOP = `name: shop
entities:
  customer:
    fields: { email: { type: text, unique: true } }
    volume: { rows: 2000000 }
  order:
    fields:
      customer: { ref: customer, on_delete: cascade }
      status: { enum: [pending, paid, shipped, cancelled] }
      note: { type: text, nullable: true }
      country: { type: text, check: "char_length(country) = 2" }
    volume: { rows: 40000000 }
  tag:
    fields: { label: text }
`;

/** The planner's row estimate for a query, as a prepared statement's generic plan sees it. */
async function estimate(client: Client, sql: string): Promise<number> {
  const plan = (
    await client.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql}`,
    )
  ).rows[0]!['QUERY PLAN'];
  return plan[0].Plan['Plan Rows'];
}

describe('shapeStatistics: the planner believes the spec’s volumes', () => {
  let database: TestDatabase;
  let client: Client;
  beforeEach(async () => {
    database = await createTestDatabase('sw_shape');
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterEach(async () => {
    await client?.end();
    await database?.drop();
  });

  it.each<RowCountMethod>(['pg_restore_relation_stats', 'pg_class'])(
    'with %s: row counts, reference fan-out, enum shares and NULLs at the spec’s scale',
    async (method) => {
      const model = modelSpec(await loadSpec(SHOP));
      await client.query(model.ddl);
      await client.query('BEGIN');
      const tables = await shapeStatistics(client, model, method);
      expect(tables).toEqual([
        { table: 'customer', rows: 2_000_000, basis: 'spec volume', sampled: 1000 },
        { table: 'order', rows: 40_000_000, basis: 'spec volume', sampled: 1000 },
        { table: 'tag', rows: 1000, basis: 'not in the spec', sampled: 1000 },
      ]);
      expect(await estimate(client, 'SELECT * FROM customer')).toBe(2_000_000);
      expect(await estimate(client, 'SELECT * FROM customer WHERE email = $1')).toBe(1);
      expect(await estimate(client, 'SELECT * FROM "order"')).toBe(40_000_000);
      // 40 million orders over 2 million customers, though the sample has only 1,000 of each.
      expect(await estimate(client, 'SELECT * FROM "order" WHERE customer_id = $1')).toBe(20);
      expect(await estimate(client, `SELECT * FROM "order" WHERE status = 'pending'`)).toBe(10_000_000);
      expect(await estimate(client, 'SELECT * FROM "order" WHERE note IS NULL')).toBe(4_000_000);
      expect(await estimate(client, 'SELECT * FROM tag')).toBe(1000);
      // The CHECK the sample would break is gone in this transaction only.
      await client.query('ROLLBACK');
      expect(
        (await client.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'order_country_check'`))
          .rows[0].n,
      ).toBe(1);
      expect((await client.query('SELECT count(*)::int AS n FROM "order"')).rows[0].n).toBe(0);
    },
  );

  it('spreads a time-partitioned table over all its partitions, and scales each', async () => {
    const model = modelSpec(await loadSpec(readFileSync(join(__dirname, '../../examples/metrics.yaml'), 'utf8')), {
      now: new Date('2026-11-27T12:00:00Z'),
    });
    await client.query(model.ddl);
    await client.query('BEGIN');
    await shapeStatistics(client, model, 'pg_restore_relation_stats');
    const partitions = (
      await client.query<{ name: string; rows: number }>(
        `SELECT c.relname AS name, c.reltuples::float8 AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sample'::regclass ORDER BY 1`,
      )
    ).rows;
    expect(partitions.map((p) => p.name)).toEqual([
      'sample_20261127',
      'sample_20261128',
      'sample_20261129',
      'sample_default',
    ]);
    for (const partition of partitions) expect(partition.rows).toBeGreaterThan(0);
    expect(partitions.reduce((sum, p) => sum + p.rows, 0)).toBe(2_000_000_000);
    expect(await estimate(client, 'SELECT * FROM sample')).toBe(2_000_000_000);
  });

  it('writes a sample for a column of every type a spec accepts', async () => {
    const fields = [...SPEC_COLUMN_TYPES, 'text[]', 'numeric(3,1)', 'numeric(2,2)']
      .map((type, n) => `      f${n}: "${type}"`)
      .join('\n');
    const model = modelSpec(
      await loadSpec(`name: kinds\nentities:\n  every:\n    fields:\n${fields}\n    volume: { rows: 3000 }\n`),
    );
    await client.query(model.ddl);
    await client.query('BEGIN');
    expect(await shapeStatistics(client, model, 'pg_restore_relation_stats')).toEqual([
      { table: 'every', rows: 3000, basis: 'spec volume', sampled: 1000 },
    ]);
  });

  it('reports a table whose sample breaks a key, and shapes the rest', async () => {
    const model = modelSpec(
      await loadSpec(`name: map
entities:
  place:
    fields: { kind: { enum: [city, town], unique: true }, name: text }
    volume: { rows: 5000000 }
  visit:
    fields: { at: timestamptz, place: { ref: place, on_delete: cascade, nullable: true } }
    volume: { rows: 9000000 }
`),
    );
    await client.query(model.ddl);
    await client.query('BEGIN');
    expect(await shapeStatistics(client, model, 'pg_restore_relation_stats')).toEqual([
      {
        table: 'place',
        rows: 5_000_000,
        basis: 'spec volume',
        sampled: 0,
        error: expect.stringMatching(
          /^no sample could be written: duplicate key value violates unique constraint "place_kind_key"/,
        ),
      },
      { table: 'visit', rows: 9_000_000, basis: 'spec volume', sampled: 1000 },
    ]);
    // Nothing to point at: every reference is NULL.
    expect(await estimate(client, 'SELECT * FROM visit WHERE place_id IS NULL')).toBe(9_000_000);
  });

  it('a volume with only growth_per_day is a table of unknown size, sampled, so NOT NULL references to it have rows', async () => {
    const model = modelSpec(
      await loadSpec(`name: feed
entities:
  source:
    fields: { url: text }
    volume: { growth_per_day: 1000 }
  item:
    fields: { source: { ref: source, on_delete: cascade } }
    volume: { rows: 5000000 }
`),
    );
    expect(model.tables.find((t) => t.name === 'source')!.rows).toBeNull();
    await client.query(model.ddl);
    await client.query('BEGIN');
    expect(await shapeStatistics(client, model, 'pg_restore_relation_stats')).toEqual([
      { table: 'source', rows: 1000, basis: 'not in the spec', sampled: 1000 },
      { table: 'item', rows: 5_000_000, basis: 'spec volume', sampled: 1000 },
    ]);
  });

  it('a table the spec says is empty: sampled only when a NOT NULL reference needs rows to point at, and planned as empty either way', async () => {
    const model = modelSpec(
      await loadSpec(`name: launch
entities:
  plan:
    fields: { name: text }
    volume: { rows: 0, growth_per_day: 10 }
  subscription:
    fields: { plan: { ref: plan, on_delete: restrict } }
    volume: { rows: 2000000 }
  coupon:
    fields: { code: text }
    volume: { rows: 0 }
  redemption:
    fields: { coupon: { ref: coupon, on_delete: set null, nullable: true } }
    volume: { rows: 3000000 }
`),
    );
    await client.query(model.ddl);
    await client.query('BEGIN');
    expect(await shapeStatistics(client, model, 'pg_restore_relation_stats')).toEqual([
      { table: 'plan', rows: 0, basis: 'empty in the spec, sampled for its references', sampled: 1000 },
      { table: 'subscription', rows: 2_000_000, basis: 'spec volume', sampled: 1000 },
      { table: 'coupon', rows: 0, basis: 'spec volume', sampled: 0 },
      { table: 'redemption', rows: 3_000_000, basis: 'spec volume', sampled: 1000 },
    ]);
    // The planner's floor is one row: it believes the sampled empty table holds next to nothing.
    expect(await estimate(client, 'SELECT * FROM plan')).toBeLessThanOrEqual(1);
    expect(await estimate(client, 'SELECT * FROM redemption WHERE coupon_id IS NULL')).toBe(3_000_000);
  });
});
