import { Client } from 'pg';
import { loadDataset, type Dataset } from '../../test/support/datasets';
import type { TestDatabase } from '../../test/support/stack';
import { fingerprint, introspect, readFingerprint, type Catalog } from '.';

const USER_SCHEMAS = `nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'schemawright') AND nspname NOT LIKE 'pg\\_%'`;

/** Counted with the simplest query for each kind, independently of introspect's own joins. */
const COUNTS = {
  tables: `SELECT count(*) FROM pg_tables WHERE schemaname IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS})`,
  views: `SELECT (SELECT count(*) FROM pg_views WHERE schemaname IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS}))
               + (SELECT count(*) FROM pg_matviews WHERE schemaname IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS}))`,
  indexes: `SELECT count(*) FROM pg_indexes WHERE schemaname IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS})`,
  foreignKeys: `SELECT count(*) FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'`,
  checks: `SELECT count(*) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE co.contype = 'c' AND co.conrelid <> 0 AND ${USER_SCHEMAS}`,
  triggers: `SELECT count(DISTINCT (event_object_schema, event_object_table, trigger_name)) FROM information_schema.triggers`,
  sequences: `SELECT count(*) FROM pg_sequences WHERE schemaname IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS})`,
  // information_schema leaves out materialized views.
  columns: `SELECT (SELECT count(*) FROM information_schema.columns WHERE table_schema IN (SELECT nspname FROM pg_namespace WHERE ${USER_SCHEMAS}))
                 + (SELECT count(*) FROM pg_attribute a JOIN pg_matviews m ON (quote_ident(m.schemaname) || '.' || quote_ident(m.matviewname))::regclass = a.attrelid
                     WHERE a.attnum > 0 AND NOT a.attisdropped)`,
  enums: `SELECT count(DISTINCT enumtypid) FROM pg_enum`,
  extensions: `SELECT count(*) FROM pg_extension`,
};

function countsOf(catalog: Catalog): Record<keyof typeof COUNTS, number> {
  const relations = [...catalog.tables, ...catalog.views];
  const constraints = catalog.tables.flatMap((t) => t.constraints);
  return {
    tables: catalog.tables.filter((t) => t.kind !== 'foreign').length,
    views: catalog.views.length,
    indexes: relations.flatMap((r) => r.indexes).length,
    foreignKeys: constraints.filter((c) => c.kind === 'foreign key').length,
    checks: constraints.filter((c) => c.kind === 'check').length,
    triggers: catalog.tables.flatMap((t) => t.triggers).length,
    sequences: catalog.sequences.length,
    columns: relations.flatMap((r) => r.columns).length,
    enums: catalog.enums.length,
    extensions: catalog.extensions.length,
  };
}

describe.each<[Dataset, Partial<Record<keyof typeof COUNTS, number>>]>([
  // The figures the data README gives, so that a broken load fails here rather than passing with zero.
  ['pagila', { tables: 22, foreignKeys: 36, sequences: 13, triggers: 15 }],
  ['danbooru', { tables: 66, indexes: 456, foreignKeys: 93, views: 2 }],
  ['musicbrainz', { tables: 519, indexes: 1101, foreignKeys: 895, triggers: 452, views: 12, sequences: 240 }],
])('introspecting %s', (dataset, known) => {
  let db: TestDatabase;
  let client: Client;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await loadDataset(dataset);
    client = new Client({ connectionString: db.url });
    await client.connect();
    catalog = await introspect(client);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('counts what the catalog counts', async () => {
    const expected: Record<string, number> = {};
    for (const [kind, sql] of Object.entries(COUNTS))
      expected[kind] = Number(Object.values((await client.query(sql)).rows[0])[0]);
    expect(countsOf(catalog)).toEqual(expected);
    expect(countsOf(catalog)).toMatchObject(known);
  });

  it('has the same fingerprint when read twice, and it survives statistics changing', async () => {
    await client.query('ANALYZE');
    const again = await introspect(client);
    expect(fingerprint(again)).toBe(fingerprint(catalog));
    expect(fingerprint(catalog)).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The catalog travels as JSON (activity results, the store): nothing may be lost on the way.
    expect(JSON.parse(JSON.stringify(catalog))).toEqual(catalog);
    // Deterministic order: the JSON itself (minus statistics) is equal, not just the hash.
    expect(again.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(
      catalog.tables.map((t) => `${t.schema}.${t.name}`),
    );
  });
});

describe('what introspection reads, checked by hand on Pagila', () => {
  let db: TestDatabase;
  let client: Client;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await loadDataset('pagila');
    client = new Client({ connectionString: db.url });
    await client.connect();
    catalog = await introspect(client);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });
  const table = (name: string) => catalog.tables.find((t) => t.name === name)!;

  it('reads partitioning, bounds and row estimates', () => {
    expect(table('payment').partitioning).toEqual({ strategy: 'range', key: 'payment_date' });
    const partitions = catalog.tables.filter((t) => t.partitionOf?.parent === 'public.payment');
    expect(partitions.map((p) => p.name)).toEqual([
      'payment_p2022_01',
      'payment_p2022_02',
      'payment_p2022_03',
      'payment_p2022_04',
      'payment_p2022_05',
      'payment_p2022_06',
      'payment_p2022_07',
    ]);
    expect(partitions[0]!.partitionOf!.bound).toMatch(/^FOR VALUES FROM \('2022-01-01/);
    expect(partitions.reduce((n, p) => n + p.stats.liveTuples, 0)).toBe(16049);
    expect(table('rental').stats.rowEstimate).toBe(16044);
    expect(table('rental').stats.totalBytes).toBeGreaterThan(table('rental').stats.tableBytes);
  });

  it('reads columns: serial sequences, domains, defaults, enums', () => {
    const film = table('film');
    const filmId = film.columns.find((c) => c.name === 'film_id')!;
    expect(filmId).toMatchObject({
      type: 'integer',
      nullable: false,
      identity: null,
      serialSequence: 'public.film_film_id_seq',
    });
    expect(film.columns.find((c) => c.name === 'release_year')).toMatchObject({
      type: 'public.year',
      baseType: 'integer',
    });
    expect(film.columns.find((c) => c.name === 'rating')).toMatchObject({
      type: 'public.mpaa_rating',
      default: "'G'::public.mpaa_rating",
    });
    expect(catalog.enums).toEqual([
      { schema: 'public', name: 'mpaa_rating', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'] },
    ]);
    expect(film.columns.map((c) => c.name).slice(0, 3)).toEqual(['film_id', 'title', 'description']);
  });

  it('reads constraints with definitions and foreign keys with their targets', () => {
    const fk = table('film').constraints.find((c) => c.name === 'film_language_id_fkey')!;
    expect(fk).toMatchObject({
      kind: 'foreign key',
      columns: ['language_id'],
      references: { table: 'public.language', columns: ['language_id'] },
    });
    expect(fk.definition).toBe(
      'FOREIGN KEY (language_id) REFERENCES public.language(language_id) ON UPDATE CASCADE ON DELETE RESTRICT',
    );
    expect(table('payment').constraints.find((c) => c.kind === 'primary key')!.columns).toEqual([
      'payment_date',
      'payment_id',
    ]);
  });

  it('reads indexes, expression keys, views, triggers, sequences with headroom', () => {
    const fulltext = table('film').indexes.find((i) => i.name === 'film_fulltext_idx')!;
    expect(fulltext).toMatchObject({ method: 'gist', keys: ['fulltext'], valid: true, unique: false, predicate: null });
    expect(table('film').indexes.find((i) => i.name === 'film_pkey')).toMatchObject({
      primary: true,
      constraint: 'film_pkey',
    });
    const matview = catalog.views.find((v) => v.name === 'rental_by_category')!;
    expect(matview.materialized).toBe(true);
    expect(matview.definition).toContain('sum(p.amount)');
    expect(matview.indexes.map((i) => i.name)).toEqual(['rental_category']);
    expect(table('film').triggers.map((t) => t.name)).toEqual(['film_fulltext_trigger', 'last_updated']);
    const sequence = catalog.sequences.find((s) => s.name === 'film_film_id_seq')!;
    expect(sequence).toMatchObject({
      ownedBy: 'public.film.film_id',
      ownership: 'serial',
      stats: { lastValue: 1000, limit: 2147483647 },
    });
    expect(sequence.stats.headroom).toBeCloseTo(1 - 999 / 2147483646, 9);
  });

  it('reads an INCLUDE, partial, DESC, opclass, NULLS NOT DISTINCT index, and a failed concurrent build as invalid', async () => {
    await client.query(
      `CREATE INDEX film_title_partial ON film (lower(title) text_pattern_ops DESC, film_id) INCLUDE (rating) WHERE rental_rate > 1`,
    );
    await client.query(`CREATE UNIQUE INDEX film_id_nulls_not_distinct ON film (film_id) NULLS NOT DISTINCT`);
    await client.query(`INSERT INTO actor (first_name, last_name) VALUES ('A', 'B'), ('A', 'B')`);
    await expect(
      client.query(`CREATE UNIQUE INDEX CONCURRENTLY actor_names_unique ON actor (first_name, last_name)`),
    ).rejects.toThrow(/could not create unique index/);
    const after = await introspect(client);
    const indexes = after.tables.find((t) => t.name === 'film')!.indexes;
    expect(indexes.find((i) => i.name === 'film_title_partial')).toMatchObject({
      keys: ['lower(title) text_pattern_ops DESC', 'film_id'],
      keyIsColumn: [false, true],
      include: ['rating'],
      predicate: '(rental_rate > (1)::numeric)',
      nullsNotDistinct: false,
    });
    expect(indexes.find((i) => i.name === 'film_id_nulls_not_distinct')).toMatchObject({ nullsNotDistinct: true });
    expect(
      after.tables.find((t) => t.name === 'actor')!.indexes.find((i) => i.name === 'actor_names_unique'),
    ).toMatchObject({ valid: false, unique: true });
    expect(fingerprint(after)).not.toBe(fingerprint(catalog));
  });

  it('reads pg_stat_statements when installed, and leaves out the schemawright schema', async () => {
    expect(catalog.stats.statements).toBeNull();
    await client.query('CREATE EXTENSION pg_stat_statements');
    await client.query('CREATE SCHEMA schemawright; CREATE TABLE schemawright.history (id int)');
    await client.query('SELECT count(*) FROM film');
    // The data load ran thousands of statements: ask for all of them, not the default top 50.
    const after = await introspect(client, { statements: 100_000 });
    expect(after.stats.statements!.some((s) => s.query.includes('FROM film'))).toBe(true);
    expect(after.schemas).not.toContain('schemawright');
    expect(after.tables.some((t) => t.schema === 'schemawright')).toBe(false);
  });
});

describe('the fingerprint changes with any DDL', () => {
  let db: TestDatabase;
  let client: Client;
  let base: string;
  beforeAll(async () => {
    db = await loadDataset('danbooru');
    client = new Client({ connectionString: db.url });
    await client.connect();
    base = fingerprint(await introspect(client));
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const changes: [string, string][] = [
    ['add column', 'ALTER TABLE posts ADD COLUMN note text'],
    ['add index', 'CREATE INDEX posts_note_idx ON posts (rating)'],
    ['change default', "ALTER TABLE posts ALTER COLUMN rating SET DEFAULT 'e'"],
    ['add constraint', 'ALTER TABLE posts ADD CONSTRAINT posts_score_positive CHECK (score > -1000000)'],
    ['drop not null', 'ALTER TABLE posts ALTER COLUMN md5 DROP NOT NULL'],
    ['rename column', 'ALTER TABLE posts RENAME COLUMN source TO origin'],
    ['create view', 'CREATE VIEW recent_posts AS SELECT id FROM posts'],
    ['enable row level security', 'ALTER TABLE posts ENABLE ROW LEVEL SECURITY'],
    [
      'add trigger',
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch()',
    ],
    ['add enum', "CREATE TYPE mood AS ENUM ('calm', 'angry')"],
    ['add sequence', 'CREATE SEQUENCE ticket_seq'],
    ['drop index', 'DROP INDEX index_posts_on_created_at'],
    ['comment on table', "COMMENT ON TABLE posts IS 'the images'"],
    ['change column type', 'ALTER TABLE posts ALTER COLUMN score TYPE bigint'],
  ];
  it('is the same read without statistics, which read as none then', async () => {
    const structure = await introspect(client, { statistics: false });
    expect(structure.tables.every((t) => t.stats.totalBytes === 0 && t.stats.liveTuples === 0)).toBe(true);
    expect((await introspect(client)).tables.some((t) => t.stats.totalBytes > 0)).toBe(true);
    expect(await readFingerprint(client)).toBe(base);
  });

  it('does not depend on the search_path of the connection that reads it', async () => {
    await client.query('SET search_path = pg_catalog');
    try {
      expect(fingerprint(await introspect(client))).toBe(base);
      expect((await client.query('SHOW search_path')).rows[0].search_path).toBe('pg_catalog');
    } finally {
      await client.query('RESET search_path');
    }
  });

  const seen = new Set<string>();
  it.each(changes)('%s', async (_change, ddl) => {
    // Introspection sees uncommitted DDL on its own connection, so each change is rolled back after.
    await client.query('BEGIN');
    try {
      await client.query(ddl);
      const changed = fingerprint(await introspect(client));
      expect(changed).not.toBe(base);
      expect(await readFingerprint(client)).toBe(changed);
      expect(seen.has(changed)).toBe(false);
      seen.add(changed);
    } finally {
      await client.query('ROLLBACK');
    }
    expect(fingerprint(await introspect(client))).toBe(base);
  });
});
