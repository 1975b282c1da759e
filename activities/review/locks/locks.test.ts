import type { Catalog } from '../../../postgres/introspection';
import { parseStatements } from '../../../postgres/parse';
import { parsePgVersion } from '../../../postgres/pg-version';
import { reviewMigration, type TableSizes } from '../review';
import { lockImpactsOf, LOCK_BLOCKING, type LockImpact } from './index';

const GB = 1e9;
const sizes: TableSizes = {
  'public.orders': { rows: 100_000_000, bytes: 50 * GB },
  'public.customers': { rows: 1_000_000, bytes: 1 * GB },
  'public.tiny': { rows: 10, bytes: 8192 },
  'public.events': { rows: 20_000_000, bytes: 4 * GB },
};

/** A catalog that only knows column types and constraints: what the lock model reads from it. */
function catalogWith(columns: Record<string, string>, checks: string[] = []): Catalog {
  return {
    tables: [
      {
        schema: 'public',
        name: 'orders',
        columns: Object.entries(columns).map(([name, type]) => ({ name, type })),
        constraints: checks.map((definition, i) => ({ name: `c${i}`, kind: 'check', validated: true, definition })),
        indexes: [],
      },
    ],
  } as unknown as Catalog;
}

async function impacts(sql: string, version = '18', catalog?: Catalog): Promise<LockImpact[][]> {
  return lockImpactsOf(await parseStatements(sql), { pgVersion: parsePgVersion(version), tableSizes: sizes, catalog });
}

async function only(sql: string, version = '18', catalog?: Catalog): Promise<Omit<LockImpact, 'notes'>> {
  const all = (await impacts(sql, version, catalog)).flat();
  expect(all).toHaveLength(1);
  const { notes: _notes, ...rest } = all[0]!;
  return rest;
}

const orders = { table: 'public.orders', rows: 100_000_000, bytes: 50 * GB };

describe('lock model', () => {
  it('ADD COLUMN with a non-volatile default does not rewrite on PostgreSQL 11+, and rewrites before', async () => {
    const sql =
      "ALTER TABLE orders ADD COLUMN placed_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN note text DEFAULT 'x'";
    expect(await only(sql, '16')).toEqual({
      ...orders,
      lock: 'ACCESS EXCLUSIVE',
      rewrites: false,
      scans: false,
      seconds: 0,
      blockingSeconds: 0,
      blocks: 'reads+writes',
    });
    expect(await only(sql, '10')).toEqual({
      ...orders,
      lock: 'ACCESS EXCLUSIVE',
      rewrites: true,
      scans: true,
      seconds: 1000,
      blockingSeconds: 1000,
      blocks: 'reads+writes',
    });
  });

  it('ADD COLUMN with a volatile default, a serial or an identity rewrites', async () => {
    for (const column of [
      'id2 uuid DEFAULT gen_random_uuid()',
      'n bigserial',
      'n bigint GENERATED ALWAYS AS IDENTITY',
    ]) {
      expect(await only(`ALTER TABLE orders ADD COLUMN ${column}`)).toMatchObject({
        rewrites: true,
        blockingSeconds: 1000,
      });
    }
  });

  it('SET NOT NULL scans; a validated CHECK (c IS NOT NULL) earlier in the migration spares the scan on PostgreSQL 12+', async () => {
    expect(await only('ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL')).toEqual({
      ...orders,
      lock: 'ACCESS EXCLUSIVE',
      rewrites: false,
      scans: true,
      seconds: 250,
      blockingSeconds: 250,
      blocks: 'reads+writes',
    });
    const online = [
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_nn CHECK (customer_id IS NOT NULL) NOT VALID',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_nn',
      'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
    ].join(';\n');
    expect((await impacts(online, '16')).map((i) => [i[0]!.lock, i[0]!.blockingSeconds, i[0]!.seconds])).toEqual([
      ['ACCESS EXCLUSIVE', 0, 0],
      ['SHARE UPDATE EXCLUSIVE', 0, 250],
      ['ACCESS EXCLUSIVE', 0, 0],
    ]);
    expect((await impacts(online, '11'))[2]![0]!.blockingSeconds).toBe(250);
    expect(
      await only(
        'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
        '16',
        catalogWith({}, ['CHECK ((customer_id IS NOT NULL))']),
      ),
    ).toMatchObject({ scans: false, blockingSeconds: 0 });
    // The proof follows a column renamed into place, as expand/contract does.
    const swapped = await impacts(
      'ALTER TABLE orders ADD CONSTRAINT n CHECK (code_new IS NOT NULL) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT n; ALTER TABLE orders RENAME COLUMN code_new TO code; ALTER TABLE orders ALTER COLUMN code SET NOT NULL',
    );
    expect(swapped[3]![0]).toMatchObject({ scans: false, blockingSeconds: 0 });
  });

  it('ALTER COLUMN TYPE rewrites unless binary-coercible per the catalog', async () => {
    const catalog = catalogWith({ email: 'character varying(40)', amount: 'numeric(10,2)', n: 'integer' });
    expect(await only('ALTER TABLE orders ALTER COLUMN email TYPE text', '18', catalog)).toMatchObject({
      rewrites: false,
      blockingSeconds: 0,
    });
    expect(await only('ALTER TABLE orders ALTER COLUMN email TYPE varchar(80)', '18', catalog)).toMatchObject({
      rewrites: false,
    });
    expect(await only('ALTER TABLE orders ALTER COLUMN email TYPE varchar(20)', '18', catalog)).toMatchObject({
      rewrites: true,
      blockingSeconds: 1000,
    });
    expect(await only('ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2)', '18', catalog)).toMatchObject({
      rewrites: false,
    });
    expect(await only('ALTER TABLE orders ALTER COLUMN n TYPE bigint', '18', catalog)).toMatchObject({
      rewrites: true,
    });
    expect(
      await only('ALTER TABLE orders ALTER COLUMN email TYPE text USING lower(email)', '18', catalog),
    ).toMatchObject({ rewrites: true });
    // Without the catalog the current type is unknown: the safe assumption is a rewrite.
    const unknown = (await impacts('ALTER TABLE orders ALTER COLUMN email TYPE text'))[0]![0]!;
    expect(unknown).toMatchObject({
      rewrites: true,
      notes: ['email: its current type is unknown (no catalog): a rewrite is assumed'],
    });
  });

  it('CREATE INDEX blocks writes for the build; CONCURRENTLY blocks nothing but takes longer', async () => {
    const customers = { table: 'public.customers', rows: 1_000_000, bytes: GB };
    expect(await only('CREATE INDEX customers_email ON customers (email)')).toEqual({
      ...customers,
      lock: 'SHARE',
      rewrites: false,
      scans: true,
      seconds: 6,
      blockingSeconds: 6,
      blocks: 'writes',
    });
    expect(await only('CREATE INDEX CONCURRENTLY customers_email ON customers (email)')).toEqual({
      ...customers,
      lock: 'SHARE UPDATE EXCLUSIVE',
      rewrites: false,
      scans: true,
      seconds: 15,
      blockingSeconds: 0,
      blocks: 'nothing',
    });
  });

  it('a foreign key locks both tables SHARE ROW EXCLUSIVE for the validation; NOT VALID then VALIDATE blocks nothing long', async () => {
    const [fk] = await impacts(
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)',
    );
    expect(fk!.map(({ notes: _n, ...i }) => i)).toEqual([
      {
        ...orders,
        lock: 'SHARE ROW EXCLUSIVE',
        rewrites: false,
        scans: true,
        seconds: 250,
        blockingSeconds: 250,
        blocks: 'writes',
      },
      {
        table: 'public.customers',
        rows: 1_000_000,
        bytes: GB,
        lock: 'SHARE ROW EXCLUSIVE',
        rewrites: false,
        scans: true,
        seconds: 250,
        blockingSeconds: 250,
        blocks: 'writes',
      },
    ]);
    const online = await impacts(
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk',
    );
    expect(online.map((s) => s.map((i) => [i.table, i.lock, i.blockingSeconds]))).toEqual([
      [['public.orders', 'SHARE ROW EXCLUSIVE', 0]],
      [['public.orders', 'SHARE UPDATE EXCLUSIVE', 0]],
    ]);
  });

  it('UPDATE without WHERE locks every row; TRUNCATE and DROP are catalog-only', async () => {
    expect(await only('UPDATE customers SET email = lower(email)')).toMatchObject({
      lock: 'ROW EXCLUSIVE',
      blocks: 'writes',
      blockingSeconds: 10,
    });
    expect(await only('UPDATE customers SET email = lower(email) WHERE id < 10')).toMatchObject({
      blocks: 'nothing',
      blockingSeconds: 0,
    });
    expect(await only('TRUNCATE orders')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', blockingSeconds: 0 });
    expect(await only('DROP TABLE orders')).toMatchObject({ lock: 'ACCESS EXCLUSIVE', blockingSeconds: 0 });
  });

  it('VACUUM FULL, CLUSTER and REFRESH MATERIALIZED VIEW rewrite; plain VACUUM blocks nothing', async () => {
    expect(await only('VACUUM FULL orders')).toMatchObject({
      lock: 'ACCESS EXCLUSIVE',
      rewrites: true,
      blockingSeconds: 1000,
    });
    expect(await only('CLUSTER orders USING orders_pkey')).toMatchObject({ rewrites: true, blockingSeconds: 1000 });
    expect(await only('VACUUM orders')).toMatchObject({ lock: 'SHARE UPDATE EXCLUSIVE', blocks: 'nothing' });
    // Nothing writes to a materialized view and readers go on: it blocks nothing, however long it takes.
    expect(await only('REFRESH MATERIALIZED VIEW CONCURRENTLY orders')).toMatchObject({
      lock: 'EXCLUSIVE',
      blocks: 'nothing',
      blockingSeconds: 0,
    });
  });

  it('a table created in the same migration is empty whatever the target holds under that name', async () => {
    const [, index] = await impacts('CREATE TABLE orders (id bigint); CREATE INDEX orders_id ON orders (id)');
    expect(index![0]).toMatchObject({ rows: 0, bytes: 0, seconds: 0 });
  });

  it('CREATE TABLE IF NOT EXISTS of a table the target has leaves it as large as it is', async () => {
    const [, index] = await impacts(
      'CREATE TABLE IF NOT EXISTS orders (id bigint); CREATE INDEX orders_id ON orders (id)',
    );
    expect(index![0]).toMatchObject({ rows: 100_000_000, bytes: 50 * GB });
    const known = lockImpactsOf(
      await parseStatements('CREATE TABLE IF NOT EXISTS orders (id bigint); CREATE INDEX orders_id ON orders (id)'),
      { pgVersion: parsePgVersion('18'), catalog: catalogWith({ id: 'bigint' }) },
    );
    expect(known[1]![0]).toMatchObject({ rows: null, seconds: null });
    const [, fresh] = await impacts(
      'CREATE TABLE IF NOT EXISTS fresh (id bigint); CREATE INDEX fresh_id ON fresh (id)',
    );
    expect(fresh![0]).toMatchObject({ rows: 0, seconds: 0 });
  });

  it('reads the catalog by schema: a CHECK or an index of a same-named table elsewhere proves nothing here', async () => {
    const table = (schema: string, name: string, checks: string[], indexes: string[]) => ({
      schema,
      name,
      columns: [{ name: 'customer_id', type: 'bigint' }],
      constraints: checks.map((definition, i) => ({ name: `c${i}`, kind: 'check', validated: true, definition })),
      indexes: indexes.map((index) => ({ name: index })),
    });
    const catalog = {
      tables: [
        table('public', 'orders', [], ['orders_idx']),
        table('audit', 'orders', ['CHECK ((customer_id IS NOT NULL))'], []),
        table('audit', 'log', [], ['orders_idx']),
      ],
    } as unknown as Catalog;
    expect(await only('ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL', '16', catalog)).toMatchObject({
      table: 'public.orders',
      scans: true,
    });
    expect(await only('ALTER TABLE audit.orders ALTER COLUMN customer_id SET NOT NULL', '16', catalog)).toMatchObject({
      table: 'audit.orders',
      scans: false,
    });
    expect(await only('DROP INDEX audit.orders_idx', '16', catalog)).toMatchObject({ table: 'audit.log' });
    expect(await only('DROP INDEX orders_idx', '16', catalog)).toMatchObject({ table: 'public.orders' });
  });

  it('unknown sizes give unknown durations', async () => {
    expect(await only('ALTER TABLE elsewhere ALTER COLUMN x SET NOT NULL')).toMatchObject({
      table: 'public.elsewhere',
      rows: null,
      seconds: null,
      blockingSeconds: null,
    });
  });
});

describe(LOCK_BLOCKING, () => {
  const review = (sql: string, tableSizes = sizes) =>
    reviewMigration({ files: [{ path: 'up.sql', up: sql }], pgVersion: '16', tableSizes });

  it('a table created by an earlier file of the review is empty in a later one', async () => {
    const report = await reviewMigration({
      files: [
        { path: '001_orders.up.sql', up: 'CREATE TABLE orders (id bigint, placed_at timestamptz);' },
        { path: '002_orders_placed_at.up.sql', up: 'CREATE INDEX orders_placed_at ON orders (placed_at);' },
      ],
      pgVersion: '16',
      tableSizes: sizes,
    });
    expect(report.findings.filter((f) => f.id === LOCK_BLOCKING)).toEqual([]);
  });
  const lockFindings = async (sql: string) => (await review(sql)).findings.filter((f) => f.id === LOCK_BLOCKING);

  it('rewriting a 10-row table is not reported', async () => {
    expect(await lockFindings('ALTER TABLE tiny ADD COLUMN id2 uuid DEFAULT gen_random_uuid()')).toEqual([]);
  });

  it('a foreign key to a table of unknown size reports that table as unsized, and the review goes on', async () => {
    const findings = await lockFindings(
      'ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES billing.accounts (id)',
    );
    const referenced = findings.find((f) => f.object === 'billing.accounts');
    expect(referenced?.message).toMatch(
      /^reads billing\.accounts \(size unknown\) under SHARE ROW EXCLUSIVE: writes wait about 4 min/,
    );
  });

  it('rewriting a 50 GB table is an error with its evidence', async () => {
    const [finding, ...rest] = await lockFindings('ALTER TABLE orders ADD COLUMN id2 uuid DEFAULT gen_random_uuid()');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'error',
      object: 'public.orders',
      message:
        'rewrites public.orders (100,000,000 rows, 50 GB) under ACCESS EXCLUSIVE: reads and writes wait about 17 min (the default calls gen_random_uuid(), volatile or of unknown volatility: the table is rewritten).',
      evidence: {
        table: 'public.orders',
        lock: 'ACCESS EXCLUSIVE',
        rewrites: true,
        scans: true,
        rows: 100_000_000,
        bytes: 50 * GB,
        blockingSeconds: 1000,
        blocks: 'reads+writes',
      },
      location: { file: 'up.sql', line: 1, column: 1 },
    });
  });

  it('severity follows the blocking time: 6 s of blocked writes is a note, 20 s a warning, 250 s an error', async () => {
    expect((await lockFindings('CREATE INDEX c_email ON customers (email)')).map((f) => f.severity)).toEqual(['info']);
    expect(
      (await lockFindings('ALTER TABLE public.orders ADD CONSTRAINT c CHECK (total >= 0)')).map((f) => [
        f.severity,
        f.evidence?.blockingSeconds,
      ]),
    ).toEqual([['error', 250]]);
    expect(
      (await lockFindings('ALTER TABLE events ALTER COLUMN kind SET NOT NULL')).map((f) => [
        f.severity,
        f.evidence?.blockingSeconds,
      ]),
    ).toEqual([['warning', 20]]);
    expect(await lockFindings('CREATE INDEX CONCURRENTLY c_email ON customers (email)')).toEqual([]);
  });

  it('without table sizes nothing is estimated, so nothing is reported', async () => {
    expect(
      (await review('ALTER TABLE orders ADD COLUMN id2 uuid DEFAULT gen_random_uuid()', {})).findings.filter(
        (f) => f.id === LOCK_BLOCKING,
      ),
    ).toEqual([]);
  });
});
