import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import { introspect, type Catalog } from '../../../postgres/introspection';
import { parseStatements } from '../../../postgres/parse';
import { parsePgVersion, type PgVersion } from '../../../postgres/pg-version';
import { lockImpactOf, tableSizesOf } from './index';
import { LOCK_MODES } from './model';

/**
 * The model checked against PostgreSQL itself: each statement runs in a transaction that is rolled
 * back; pg_locks gives the strongest lock it holds on each table, and a new relfilenode tells a rewrite.
 */
const SETUP = `
CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(40));
CREATE TABLE measures (at date, v int) PARTITION BY RANGE (at);
CREATE TABLE measures_2026 (at date, v int);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric(10,2), amount numeric(10,2), code varchar(20), note text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE INDEX orders_total ON orders (total);
CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 10) g;
INSERT INTO orders SELECT g, 1 + g % 10, g, g, 'o' || g, NULL FROM generate_series(1, 100) g;
`;

const statements = [
  "ALTER TABLE orders ADD COLUMN state text NOT NULL DEFAULT 'new'",
  'ALTER TABLE orders ADD COLUMN ref uuid DEFAULT gen_random_uuid()',
  'ALTER TABLE orders ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY',
  'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
  'ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL',
  'ALTER TABLE orders ALTER COLUMN code TYPE text',
  'ALTER TABLE orders ALTER COLUMN code TYPE varchar(40)',
  'ALTER TABLE orders ALTER COLUMN code TYPE varchar(10)',
  'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2)',
  'ALTER TABLE orders ALTER COLUMN amount TYPE bigint',
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)',
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID',
  'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0)',
  'ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code)',
  'ALTER TABLE orders ALTER COLUMN total SET STATISTICS 500',
  'ALTER TABLE orders SET (fillfactor = 90)',
  'ALTER TABLE orders DISABLE TRIGGER orders_touch',
  'ALTER TABLE orders DROP COLUMN note',
  'ALTER TABLE orders SET UNLOGGED',
  'ALTER TABLE orders RENAME COLUMN note TO remark',
  'ALTER INDEX orders_total RENAME TO orders_total_idx',
  'CREATE INDEX orders_code ON orders (code)',
  'CREATE TRIGGER orders_touch2 BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch()',
  'CREATE TABLE lines (order_id bigint REFERENCES orders (id))',
  'UPDATE orders SET note = code',
  'DELETE FROM orders WHERE id = 1',
  'TRUNCATE orders CASCADE',
  'DROP TABLE orders CASCADE',
  'CLUSTER orders USING orders_pkey',
  'REFRESH MATERIALIZED VIEW order_totals',
  "ALTER TABLE measures ATTACH PARTITION measures_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
];

/** TRUNCATE gives the table a new, empty file: a new relfilenode, but nothing is copied. */
const NEW_FILE_WITHOUT_COPY = /^TRUNCATE/;

async function observed(client: Client, sql: string): Promise<{ locks: Record<string, string>; rewritten: string[] }> {
  const names = ['orders', 'customers', 'order_totals', 'orders_total', 'measures', 'measures_2026'];
  await client.query('BEGIN');
  try {
    // By oid, taken before: the statement may rename or drop the relation.
    const before = (
      await client.query<{ name: string; oid: number; f: string }>(
        `SELECT t AS name, to_regclass(t)::oid::int AS oid, pg_relation_filenode(t)::text AS f FROM unnest($1::text[]) t`,
        [names],
      )
    ).rows;
    await client.query(sql);
    const held = (
      await client.query<{ oid: number; mode: string }>(
        `SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation IS NOT NULL`,
      )
    ).rows;
    const locks: Record<string, string> = {};
    for (const { oid, mode } of held) {
      const relation = before.find((b) => b.oid === oid);
      if (!relation) continue;
      const key = `public.${relation.name}`;
      const name = mode
        .replace(/Lock$/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toUpperCase();
      if (!locks[key] || LOCK_MODES.indexOf(name as never) > LOCK_MODES.indexOf(locks[key] as never)) locks[key] = name;
    }
    const after = (
      await client.query<{ oid: number; f: string | null }>(
        `SELECT o AS oid, pg_relation_filenode(o::oid)::text AS f FROM unnest($1::int[]) o`,
        [before.map((b) => b.oid)],
      )
    ).rows;
    const rewritten = NEW_FILE_WITHOUT_COPY.test(sql)
      ? []
      : before
          .filter((b) => after.some((a) => a.oid === b.oid && a.f !== null && a.f !== b.f))
          .map((b) => `public.${b.name}`);
    return { locks, rewritten };
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('lock model against PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;
  let catalog: Catalog;
  let version: PgVersion;
  beforeAll(async () => {
    db = await createTestDatabase('sw_locks');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(SETUP);
    catalog = await introspect(client, { statements: 0 });
    version = parsePgVersion(catalog.meta.serverVersion);
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it.each(statements)('%s', async (sql) => {
    const [statement] = await parseStatements(sql);
    const modelled = lockImpactOf(statement!, { pgVersion: version, catalog });
    const actual = await observed(client, sql);
    // Locks on the tables the model names (a DROP ... CASCADE also locks dependants the model does not list).
    expect(Object.fromEntries(modelled.map((i) => [i.table, actual.locks[i.table]]))).toEqual(
      Object.fromEntries(modelled.map((i) => [i.table, i.lock])),
    );
    expect(modelled.filter((i) => i.rewrites).map((i) => i.table)).toEqual(
      actual.rewritten.filter((t) => modelled.some((i) => i.table === t)),
    );
  });

  it('sizes a partitioned table as its partitions together, sub-partitions included', async () => {
    await client.query(`CREATE TABLE readings (at date, v int) PARTITION BY RANGE (at);
      CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY RANGE (at);
      CREATE TABLE readings_2026_h1 PARTITION OF readings_2026 FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
      INSERT INTO readings SELECT date '2025-06-01' + (g % 300), g FROM generate_series(1, 3000) g;
      ANALYZE readings`);
    const sizes = tableSizesOf(await introspect(client, { statements: 0 }));
    const leaves = [sizes['public.readings_2025']!, sizes['public.readings_2026_h1']!];
    expect(leaves.every((s) => s.rows > 0 && s.bytes > 0)).toBe(true);
    expect(sizes['public.readings_2026']).toEqual(leaves[1]);
    expect(sizes['public.readings']).toEqual({ rows: 3000, bytes: leaves[0]!.bytes + leaves[1]!.bytes });
    const [index] = await parseStatements('CREATE INDEX readings_v ON readings (v)');
    // Not known-empty: the build reads every partition.
    expect(lockImpactOf(index!, { pgVersion: version, tableSizes: sizes })[0]).toMatchObject({
      rows: 3000,
      bytes: leaves[0]!.bytes + leaves[1]!.bytes,
    });
  });
});
