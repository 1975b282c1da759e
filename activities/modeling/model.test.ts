import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, uniqueName, type TestDatabase } from '../../test/support/stack';
import { introspect, type Catalog } from '../../postgres/introspection';
import { erdOfCatalog } from './erd';
import { modelSpec } from './model';
import { loadSpec } from './spec';

const example = async (file: string) => loadSpec(readFileSync(join(__dirname, '../../examples', file), 'utf8'), file);
const now = new Date('2026-11-27T12:00:00Z');

describe('modelSpec on the examples, loaded into PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    db = await createTestDatabase('sw_model');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  /** The DDL loaded in a transaction that is rolled back after `check` has read its catalog. */
  async function loaded(ddl: string, check: (catalog: Catalog) => Promise<void> | void): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query(ddl);
      await check(await introspect(client, { statements: 0 }));
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml', 'helpdesk.yaml'])(
    '%s: the DDL loads, with every planned table, index and policy, and the ERD of the result matches the proposal',
    async (file) => {
      const model = modelSpec(await example(file), { now });
      await loaded(model.ddl, async (catalog) => {
        const tables = catalog.tables.filter((t) => !t.partitionOf);
        expect(tables.map((t) => t.name).sort()).toEqual(model.tables.map((t) => t.name).sort());
        const indexNames = catalog.tables.filter((t) => !t.partitionOf).flatMap((t) => t.indexes.map((i) => i.name));
        expect(indexNames.sort()).toEqual(model.indexes.map((i) => i.name).sort());
        for (const table of tables) {
          expect(table.rowSecurity).toBe(model.policies.some((p) => p.table === table.name));
          const plan = model.partitions.find((p) => p.table === table.name);
          expect(table.partitioning?.strategy ?? null).toBe(plan?.strategy ?? null);
        }
        const relations = (erd: string) =>
          erd
            .split('\n')
            .filter((line) => line.includes('--'))
            .sort();
        expect(relations(erdOfCatalog(catalog))).toEqual(relations(model.erd));
      });
    },
  );

  it('ecommerce: identity keys, the spec’s ON DELETE, enums, checks and a join table', async () => {
    const model = modelSpec(await example('ecommerce.yaml'), { now });
    await loaded(model.ddl, async (catalog) => {
      const table = (name: string) => catalog.tables.find((t) => t.name === name)!;
      expect(table('customer').columns[0]).toMatchObject({
        name: 'id',
        type: 'bigint',
        identity: 'always',
        nullable: false,
      });
      expect(
        table('order')
          .constraints.filter((c) => c.kind === 'foreign key')
          .map((c) => c.definition)
          .sort(),
      ).toEqual([
        'FOREIGN KEY (customer_id) REFERENCES public.customer(id) ON DELETE RESTRICT',
        'FOREIGN KEY (shipping_address_id) REFERENCES public.address(id) ON DELETE SET NULL',
      ]);
      expect(catalog.enums).toEqual([
        { schema: 'public', name: 'order_status', values: ['pending', 'paid', 'shipped', 'cancelled'] },
      ]);
      expect(table('product').constraints.find((c) => c.kind === 'check')!.definition).toBe(
        'CHECK ((price >= (0)::numeric))',
      );
      expect(table('product_categories').constraints.find((c) => c.kind === 'primary key')!.columns).toEqual([
        'product_id',
        'category_id',
      ]);
      expect(table('order').indexes.find((i) => i.name === 'order_customer_id_placed_at_idx')).toMatchObject({
        keys: ['customer_id', 'placed_at DESC'],
        include: ['id', 'total', 'status'],
      });
      expect(table('order').indexes.find((i) => i.name === 'order_placed_at_partial_idx')!.predicate).toBe(
        "(status = 'pending'::public.order_status)",
      );
      await expect(client.query(`INSERT INTO public.customer (id, email, name) VALUES (1, 'a', 'b')`)).rejects.toThrow(
        /cannot insert a non-DEFAULT value into column "id"/,
      );
      // The spec targets PostgreSQL 16, which has no identity on a partitioned table: the key takes a sequence of its own.
      // (order_line, hash-partitioned by order_id, the column its reads look it up by; order stays whole, its reads
      // filter on customer_id and id, and only id could partition a referenced table.)
      expect(table('order_line').columns[0]).toMatchObject({
        name: 'id',
        identity: null,
        default: "nextval('public.order_line_id_seq'::regclass)",
        serialSequence: 'public.order_line_id_seq',
      });
      expect(table('order').columns[0]).toMatchObject({ name: 'id', identity: 'always' });
    });
  });

  it.each([
    ['ecommerce.yaml', () => example('ecommerce.yaml')],
    // A range-partitioned table whose unique group lacks the partition key: the key is added to the constraint.
    [
      'a unique group widened by the partition key',
      () =>
        loadSpec(`
name: events
postgres: 16
entities:
  event:
    fields:
      source: text
      external_id: text
      received_at: timestamptz
    unique: [[source, external_id]]
    volume: { rows: 200000000, growth_per_day: 1000000 }
`),
    ],
  ])('modelSpec leaves its spec as it found it: modelling %s twice gives the same DDL', async (_name, load) => {
    const spec = await load();
    const before = JSON.stringify(spec);
    const first = modelSpec(spec, { now }).ddl;
    expect(modelSpec(spec, { now }).ddl).toBe(first);
    expect(JSON.stringify(spec)).toBe(before);
  });

  it('hash partitioning keys on a shared unique column only when it is NOT NULL: a nullable one stays nullable', async () => {
    const spec = await loadSpec(`
name: ledger
postgres: 16
entities:
  entry:
    fields:
      reference: { type: text, nullable: true }
      amount: integer
    unique: [[reference]]
    volume: { rows: 200000000, growth_per_day: 1000000 }
`);
    const model = modelSpec(spec, { now });
    expect(model.partitions.map((p) => [p.table, p.strategy, p.key])).toEqual([['entry', 'hash', 'id']]);
    await loaded(model.ddl, async (catalog) => {
      const entry = catalog.tables.find((t) => t.name === 'entry')!;
      expect(entry.columns.find((c) => c.name === 'reference')!.nullable).toBe(true);
    });
  });

  it('a pattern filtering on WHERE NOT flag plans a partial index keyed on the flag, and the DDL loads', async () => {
    const spec = await loadSpec(`
name: tasks
postgres: 16
entities:
  task:
    fields:
      title: text
      archived: { type: boolean, default: false }
access_patterns:
  - name: live tasks
    sql: SELECT id, title FROM task WHERE NOT archived
    per_second: 50
`);
    const model = modelSpec(spec, { now });
    expect(model.indexes.find((i) => i.origin === 'access-pattern')).toMatchObject({
      name: 'task_archived_partial_idx',
      keys: [{ column: 'archived', descending: false }],
      where: 'NOT archived',
    });
    await loaded(model.ddl, async (catalog) => {
      expect(
        catalog.tables.find((t) => t.name === 'task')!.indexes.find((i) => i.name === 'task_archived_partial_idx'),
      ).toMatchObject({ keys: ['archived'], predicate: '(NOT archived)' });
    });
  });

  it('reserved words as field names are quoted in checks and partial-index predicates, and the DDL loads', async () => {
    const spec = await loadSpec(`
name: booking
postgres: 16
entities:
  slot:
    fields:
      "limit": { type: integer, check: ">= 0" }
      "end": { type: timestamptz, nullable: true }
      "user": { type: text, nullable: true }
access_patterns:
  - name: open slots
    sql: SELECT id FROM slot WHERE "end" IS NULL
    per_second: 50
  - name: anonymous slots
    sql: SELECT id, "limit" FROM slot WHERE "user" = 'nobody' ORDER BY "limit"
    per_second: 50
`);
    const model = modelSpec(spec, { now });
    expect(
      model.indexes
        .filter((i) => i.origin === 'access-pattern')
        .map((i) => i.where)
        .sort(),
    ).toEqual(['"end" IS NULL', `"user" = 'nobody'`]);
    await loaded(model.ddl, async (catalog) => {
      const slot = catalog.tables.find((t) => t.name === 'slot')!;
      expect(slot.constraints.find((c) => c.kind === 'check')!.definition).toBe('CHECK (("limit" >= 0))');
      expect(
        slot.indexes
          .map((i) => i.predicate)
          .filter(Boolean)
          .sort(),
      ).toEqual(['("end" IS NULL)', `("user" = 'nobody'::text)`]);
    });
  });

  it('saas: row-level security shows a tenant only its own rows, and nothing without a tenant set', async () => {
    const model = modelSpec(await example('saas.yaml'), { now });
    const role = uniqueName('sw_tenant_app');
    await client.query('BEGIN');
    try {
      await client.query(model.ddl);
      await client.query(`CREATE ROLE ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};`);
      await client.query(`INSERT INTO organization (name, slug) VALUES ('a', 'a'), ('b', 'b');
                          INSERT INTO project (organization_id, name) SELECT id, 'p' || n FROM organization, generate_series(1, 3) n WHERE slug = 'a';
                          INSERT INTO project (organization_id, name) SELECT id, 'q' FROM organization WHERE slug = 'b';`);
      const b = (await client.query<{ id: string }>("SELECT id FROM organization WHERE slug = 'b'")).rows[0]!.id;
      await client.query(`SET LOCAL ROLE ${role}`);
      expect((await client.query('SELECT count(*)::int AS n FROM project')).rows[0].n).toBe(0);
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [b]);
      expect((await client.query('SELECT name FROM project')).rows).toEqual([{ name: 'q' }]);
      expect((await client.query('SELECT slug FROM organization')).rows).toEqual([{ slug: 'b' }]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('helpdesk: a row of one tenant cannot reference another tenant’s row, directly or through a join table', async () => {
    const model = modelSpec(await example('helpdesk.yaml'), { now });
    await client.query('BEGIN');
    try {
      await client.query(model.ddl);
      // As the owner, a superuser: row-level security does not hide the other tenant, only the keys can refuse.
      const ids = (
        await client.query<{ a: string; b: string; customer_b: string; tag_b: string; ticket_a: string }>(
          `WITH a AS (INSERT INTO account (name, subdomain) VALUES ('a', 'a') RETURNING id),
                b AS (INSERT INTO account (name, subdomain) VALUES ('b', 'b') RETURNING id),
                ca AS (INSERT INTO customer (account_id, email) SELECT id, 'x@a' FROM a RETURNING id, account_id),
                cb AS (INSERT INTO customer (account_id, email) SELECT id, 'x@b' FROM b RETURNING id),
                tb AS (INSERT INTO tag (account_id, label) SELECT id, 'vip' FROM b RETURNING id),
                ta AS (INSERT INTO ticket (account_id, customer_id, subject) SELECT account_id, id, 's' FROM ca RETURNING id)
           SELECT a.id AS a, b.id AS b, cb.id AS customer_b, tb.id AS tag_b, ta.id AS ticket_a FROM a, b, cb, tb, ta`,
        )
      ).rows[0]!;
      await client.query('SAVEPOINT cross_tenant');
      await expect(
        client.query('INSERT INTO ticket (account_id, customer_id, subject) VALUES ($1, $2, $3)', [
          ids.a,
          ids.customer_b,
          'points at b',
        ]),
      ).rejects.toMatchObject({ code: '23503', constraint: 'ticket_customer_id_fkey' });
      await client.query('ROLLBACK TO SAVEPOINT cross_tenant');
      await expect(
        client.query('INSERT INTO ticket_tags (account_id, ticket_id, tag_id) VALUES ($1, $2, $3)', [
          ids.a,
          ids.ticket_a,
          ids.tag_b,
        ]),
      ).rejects.toMatchObject({ code: '23503', constraint: 'ticket_tags_tag_id_fkey' });
      await client.query('ROLLBACK TO SAVEPOINT cross_tenant');
      // The same insert within one tenant is accepted.
      await client.query(
        'INSERT INTO ticket (account_id, customer_id, subject) SELECT account_id, id, $1 FROM customer WHERE account_id = $2',
        ['same tenant', ids.a],
      );
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('helpdesk: a message body far past the btree entry limit inserts (no index INCLUDEs it)', async () => {
    const model = modelSpec(await example('helpdesk.yaml'), { now });
    await client.query('BEGIN');
    try {
      await client.query(model.ddl);
      await client.query(
        `WITH a AS (INSERT INTO account (name, subdomain) VALUES ('a', 'a') RETURNING id),
              c AS (INSERT INTO customer (account_id, email) SELECT id, 'x@a' FROM a RETURNING id, account_id),
              t AS (INSERT INTO ticket (account_id, customer_id, subject) SELECT account_id, id, 's' FROM c RETURNING id, account_id)
         INSERT INTO message (account_id, ticket_id, author_kind, body)
         SELECT account_id, id, 'customer', string_agg(md5(n::text), '') FROM t, generate_series(1, 400) n GROUP BY account_id, id`,
      );
      expect((await client.query('SELECT length(body) AS n FROM message')).rows).toEqual([{ n: 12800 }]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('no index beside a primary-key lookup, even with the tenant key in the WHERE', async () => {
    const spec = await loadSpec(`name: t
entities:
  account: { fields: { name: text } }
  note: { fields: { account: { ref: account }, body: text } }
access_patterns:
  - { name: note by id, sql: "SELECT body FROM note WHERE account_id = $1 AND id = $2", per_second: 500 }
requirements: { multi_tenant_key: account }
`);
    const model = modelSpec(spec, { now });
    expect(model.indexes.filter((i) => i.origin === 'access-pattern')).toEqual([]);
    expect(model.indexes.find((i) => i.name === 'note_pkey')!.patterns).toEqual(['note by id']);
  });

  it('partitions by what the hot read filters on, or not at all, with the partitions each read probes per option', async () => {
    const helpdesk = modelSpec(await example('helpdesk.yaml'), { now });
    const message = helpdesk.partitions.find((p) => p.table === 'message')!;
    expect({ strategy: message.strategy, key: message.key }).toEqual({ strategy: 'hash', key: 'ticket_id' });
    expect(message.options.map((o) => [o.strategy, o.key, o.probes.map((p) => p.partitions)])).toEqual([
      ['range', 'created_at', [87]],
      ['hash', 'id', [16]],
      ['hash', 'ticket_id', [1]],
      ['hash', 'account_id', [1]],
      ['none', null, [1]],
    ]);
    expect(message.maintenance).toContain('The 7y retention is not a partition drop');
    const metrics = modelSpec(await example('metrics.yaml'), { now }).partitions[0]!;
    expect(metrics.maintenance).toMatch(/^Not automated by this design: create each day's partition/);
    const ecommerce = modelSpec(await example('ecommerce.yaml'), { now });
    expect(ecommerce.unpartitioned.map((u) => u.table)).toEqual(['order']);
    expect(ecommerce.unpartitioned[0]!.reason).toContain("hash by id: 'recent orders of a customer' 4");
  });

  it('helpdesk: the retention job sees no row without a tenant, and every tenant’s rows as the role SW-M-CROSS-TENANT-JOB names', async () => {
    const model = modelSpec(await example('helpdesk.yaml'), { now });
    const job = model.findings.find((f) => f.id === 'SW-M-CROSS-TENANT-JOB' && f.object === 'message retention')!;
    expect(job.evidence).toEqual({
      job: 'message retention',
      tables: ['message'],
      role: 'helpdesk_cross_tenant',
      privileges: 'SELECT, DELETE',
    });
    const app = uniqueName('sw_helpdesk_app');
    await client.query('BEGIN');
    try {
      await client.query(model.ddl);
      await client.query(`CREATE ROLE ${app}; GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO ${app};`);
      await client.query(
        `WITH a AS (INSERT INTO account (name, subdomain) VALUES ('a', 'a'), ('b', 'b') RETURNING id),
              c AS (INSERT INTO customer (account_id, email) SELECT id, 'x' FROM a RETURNING id, account_id),
              t AS (INSERT INTO ticket (account_id, customer_id, subject) SELECT account_id, id, 's' FROM c RETURNING id, account_id)
         INSERT INTO message (account_id, ticket_id, author_kind, body, created_at)
         SELECT account_id, id, 'customer', 'old', now() - interval '8 years' FROM t`,
      );
      const retention = "DELETE FROM message WHERE created_at < now() - interval '7 years'";
      await client.query(`SET LOCAL ROLE ${app}`);
      expect((await client.query(retention)).rowCount).toBe(0);
      await client.query('RESET ROLE');
      await client.query(job.fix!);
      await client.query(`SET LOCAL ROLE helpdesk_cross_tenant`);
      expect((await client.query(retention)).rowCount).toBe(2);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('helpdesk: a ticket’s messages are read from one partition of message, as the plan’s probes say', async () => {
    const model = modelSpec(await example('helpdesk.yaml'), { now });
    const chosen = model.partitions.find((p) => p.table === 'message')!;
    const probes = chosen.options.find((o) => o.strategy === chosen.strategy && o.key === chosen.key)!.probes;
    expect(probes).toEqual([{ pattern: 'messages of a ticket', perSecond: 3000, partitions: 1 }]);
    await client.query('BEGIN');
    try {
      await client.query(model.ddl);
      const plan = (
        await client.query<{ 'QUERY PLAN': unknown }>(
          'EXPLAIN (FORMAT JSON) SELECT id, author_kind, body, created_at FROM message WHERE account_id = 1 AND ticket_id = 42 ORDER BY created_at',
        )
      ).rows[0]!['QUERY PLAN'];
      const scanned = [...JSON.stringify(plan).matchAll(/"Relation Name":"(message_[^"]+)"/g)].map((m) => m[1]);
      expect(scanned).toHaveLength(1);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
