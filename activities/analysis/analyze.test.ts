import { Client } from 'pg';
import { waitFor } from '../../stack/wait';
import { loadDataset, type Dataset } from '../../test/support/datasets';
import type { TestDatabase } from '../../test/support/stack';
import type { Finding } from '../../artifacts/findings';
import { analyzeCatalog } from './analyze';
import { introspect, type Catalog } from '../../postgres/introspection';

/** One dataset loaded once for the file's tests that need it. */
function withDataset(dataset: Dataset) {
  const state = {} as { db: TestDatabase; client: Client; catalog: Catalog };
  beforeAll(async () => {
    state.db = await loadDataset(dataset);
    state.client = new Client({ connectionString: state.db.url });
    await state.client.connect();
    state.catalog = await introspect(state.client);
  });
  afterAll(async () => {
    await state.client?.end();
    await state.db?.drop();
  });
  return state;
}

const ids = (findings: Finding[], id: string) => findings.filter((f) => f.id === id).map((f) => f.object);

describe('analysing MusicBrainz (findings checked by hand against admin/sql)', () => {
  const mb = withDataset('musicbrainz');
  let findings: Finding[];
  beforeAll(() => (findings = analyzeCatalog(mb.catalog)));

  it('finds the tables without a primary key, and the unique index that can become one', () => {
    // CreateTables.sql: artist_release is a denormalised cache with no key; CreatePrimaryKeys.sql has none for it.
    expect(ids(findings, 'SW-A-NO-PK')).toEqual(
      expect.arrayContaining(['musicbrainz.artist_release', 'musicbrainz.artist_release_group', 'json_dump.control']),
    );
    expect(findings.find((f) => f.object === 'json_dump.tmp_checked_entities')!.fix).toBe(
      'ALTER TABLE json_dump.tmp_checked_entities ADD CONSTRAINT tmp_checked_entities_idx_uniq PRIMARY KEY USING INDEX tmp_checked_entities_idx_uniq;',
    );
  });

  it('finds prefix-redundant indexes and does not mistake a collated index for a duplicate', () => {
    // CreateIndexes.sql: isrc_idx_isrc (isrc) and isrc_idx_isrc_recording (isrc, recording).
    expect(findings.find((f) => f.object === 'musicbrainz.isrc_idx_isrc')).toMatchObject({
      id: 'SW-A-REDUNDANT-INDEX',
      evidence: { coveredBy: 'isrc_idx_isrc_recording' },
    });
    // artist_idx_name (name) and artist_idx_musicbrainz_collate (name COLLATE musicbrainz) sort differently.
    expect(ids(findings, 'SW-A-DUPLICATE-INDEX')).toEqual([]);
  });

  it('finds json columns, serial keys and foreign keys without an index', () => {
    expect(ids(findings, 'SW-A-JSON')).toEqual(['dbmirror2.pending_data.newdata', 'dbmirror2.pending_data.olddata']);
    expect(ids(findings, 'SW-A-SERIAL')).toHaveLength(240);
    // cover_art.mime_type references mime_type; CreateIndexes.sql (caa) indexes release, not mime_type.
    expect(
      findings.find((f) => f.id === 'SW-A-FK-NO-INDEX' && f.evidence?.constraint === 'cover_art_fk_mime_type'),
    ).toMatchObject({
      object: 'cover_art_archive.cover_art',
      fix: 'CREATE INDEX CONCURRENTLY cover_art_mime_type_idx ON cover_art_archive.cover_art (mime_type);',
    });
    expect(findings.find((f) => f.object === 'musicbrainz.artist_ipi.ipi')).toMatchObject({
      id: 'SW-A-CHAR-N',
      severity: 'warning',
    });
  });

  it('counts a partitioned table as indexed on a key every partition indexes (artist_release, artist_release_group)', () => {
    // CreateIndexes.sql indexes artist and release(_group) on each is_track_artist partition, not on the parent.
    const reported = findings.filter((f) => f.id === 'SW-A-FK-NO-INDEX').map((f) => f.evidence?.constraint);
    expect(reported).toHaveLength(288);
    expect(reported).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^artist_release(_group)?_fk_(artist|release|release_group)$/)]),
    );
  });

  it('finds nothing an empty, freshly loaded database cannot show', () => {
    for (const id of [
      'SW-A-UNUSED-INDEX',
      'SW-A-INVALID-INDEX',
      'SW-A-KEY-OVERFLOW',
      'SW-A-SEQ-SCAN',
      'SW-A-NEEDS-PARTITIONING',
      'SW-A-PII-UNPROTECTED',
    ])
      expect(ids(findings, id)).toEqual([]);
  });
});

describe('analysing Danbooru (checked by hand against structure.sql)', () => {
  const danbooru = withDataset('danbooru');

  it('finds the duplicate indexes, the keyless table and the timestamps without zone', () => {
    const findings = analyzeCatalog(danbooru.catalog);
    // structure.sql: index_email_addresses_on_normalized_address repeats ..._normalize_address_unique; unique_schema_migrations repeats the primary key.
    expect(
      findings.filter((f) => f.id === 'SW-A-DUPLICATE-INDEX').map((f) => [f.object, f.evidence?.duplicateOf]),
    ).toEqual([
      ['public.index_email_addresses_on_normalized_address', 'index_email_addresses_on_normalize_address_unique'],
      ['public.unique_schema_migrations', 'schema_migrations_pkey'],
    ]);
    expect(ids(findings, 'SW-A-NO-PK')).toEqual(['public.ai_tags']);
    expect(findings.find((f) => f.object === 'public.index_bans_on_user_id')).toMatchObject({
      id: 'SW-A-REDUNDANT-INDEX',
      evidence: { coveredBy: 'index_bans_on_user_id_and_created_at' },
    });
    expect(ids(findings, 'SW-A-TIMESTAMP-NO-TZ')).toContain('public.posts.created_at');
    expect(findings.find((f) => f.object === 'public.posts.rating')).toMatchObject({
      id: 'SW-A-CHAR-N',
      evidence: { type: 'character(1)', length: 1 },
    });
  });
});

describe('analysing Danbooru: foreign keys served by partial indexes', () => {
  const danbooru = withDataset('danbooru');

  it('counts an index WHERE key IS NOT NULL as serving the key, and still reports the others', () => {
    const reported = analyzeCatalog(danbooru.catalog).filter((f) => f.id === 'SW-A-FK-NO-INDEX');
    // structure.sql: e.g. index_posts_on_approver_id ON posts (approver_id) WHERE (approver_id IS NOT NULL).
    for (const [table, column] of [
      ['comments', 'updater_id'],
      ['posts', 'parent_id'],
      ['posts', 'approver_id'],
      ['upgrade_codes', 'redeemer_id'],
      ['upgrade_codes', 'user_upgrade_id'],
      ['users', 'inviter_id'],
    ])
      expect(reported.filter((f) => f.object === `public.${table}` && f.fix?.includes(`(${column})`))).toEqual([]);
    expect(reported).toHaveLength(12);
  });
});

describe('analysing Pagila with its data and live statistics', () => {
  const pagila = withDataset('pagila');

  it('finds the foreign keys without an index that the dump leaves', () => {
    const findings = analyzeCatalog(pagila.catalog);
    // pagila-schema.sql indexes rental (inventory_id) and (rental_date, inventory_id, customer_id): customer_id leads nothing.
    expect(
      findings
        .filter((f) => f.id === 'SW-A-FK-NO-INDEX')
        .map((f) => f.evidence?.constraint)
        .sort(),
    ).toEqual(
      [
        'film_category_category_id_fkey',
        'inventory_film_id_fkey', // idx_store_id_film_id leads with store_id
        'rental_customer_id_fkey',
        'rental_staff_id_fkey',
        'staff_address_id_fkey',
        'staff_store_id_fkey',
        'store_address_id_fkey',
        // The dump puts payment's foreign keys on each partition; rental_id is indexed on none of them.
        ...[1, 2, 3, 4, 5, 6].map((month) => `payment_p2022_0${month}_rental_id_fkey`),
      ].sort(),
    );
    // payment_p2022_01 to _06 each have both idx_fk_payment_p2022_0N_customer_id and payment_p2022_01_customer_id_idx on (customer_id).
    expect(
      findings.filter((f) => f.id === 'SW-A-DUPLICATE-INDEX').map((f) => [f.object, f.evidence?.duplicateOf]),
    ).toEqual(
      [1, 2, 3, 4, 5, 6].map((month) => [
        `public.payment_p2022_0${month}_customer_id_idx`,
        `idx_fk_payment_p2022_0${month}_customer_id`,
      ]),
    );
    expect(findings.find((f) => f.evidence?.constraint === 'rental_customer_id_fkey')!.evidence!.rows).toBe(16044);
    expect(ids(findings, 'SW-A-CHAR-N')).toEqual(['public.language.name']);
  });

  it('reads sequential scans, key headroom, PII and growth from the live database', async () => {
    const { client } = pagila;
    await client.query('CREATE EXTENSION pg_stat_statements');
    // Loading the data checked every foreign key through rental's primary key; start the counters afresh.
    await client.query('SELECT pg_stat_reset()');
    for (let n = 0; n < 25; n++) await client.query('SELECT count(*) FROM rental WHERE return_date IS NULL');
    await client.query(`SELECT setval('customer_customer_id_seq', 1900000000)`);
    await client.query('SELECT pg_stat_force_next_flush()');
    // The cumulative statistics reach the shared view when the backend flushes them, not at once.
    const catalog = await waitFor('rental sequential scans in pg_stat_user_tables', async () => {
      const read = await introspect(client);
      return read.tables.find((t) => t.name === 'rental')!.stats.seqScans >= 25 ? read : undefined;
    });
    const findings = analyzeCatalog(catalog, {
      piiColumns: ['public.customer.email', 'public.customer.last_name'],
      volumes: { 'public.rental': { growthPerDay: 200_000 }, 'public.payment': { growthPerDay: 1_000_000 } },
      thresholds: { seqScanMinRows: 10_000, seqScanMinScans: 20 },
    });
    const seqScan = findings.find((f) => f.id === 'SW-A-SEQ-SCAN' && f.object === 'public.rental')!;
    expect(seqScan.evidence).toMatchObject({ rows: 16044 });
    expect((seqScan.evidence!.seqScans as number) >= 25).toBe(true);
    expect(
      (seqScan.evidence!.statements as { query: string }[]).some((s) =>
        s.query.includes('FROM rental WHERE return_date IS NULL'),
      ),
    ).toBe(true);
    expect(findings.find((f) => f.id === 'SW-A-KEY-OVERFLOW')).toMatchObject({
      object: 'public.customer.customer_id',
      severity: 'error',
      evidence: { lastValue: 1900000000, limit: 2147483647 },
    });
    // The dump declares payment's foreign keys on each partition; the column is widened once, through the parent.
    expect(findings.find((f) => f.id === 'SW-A-KEY-OVERFLOW')!.fix).toBe(
      'ALTER TABLE public.customer ALTER COLUMN customer_id TYPE bigint;\nALTER TABLE public.payment ALTER COLUMN customer_id TYPE bigint;\nALTER TABLE public.rental ALTER COLUMN customer_id TYPE bigint;',
    );
    expect(ids(findings, 'SW-A-PII-UNPROTECTED')).toEqual(['public.customer.email', 'public.customer.last_name']);
    // rental grows past 50M rows within a year at 200k a day; payment is partitioned already.
    expect(findings.filter((f) => f.id === 'SW-A-NEEDS-PARTITIONING').map((f) => [f.object, f.evidence])).toEqual([
      [
        'public.rental',
        {
          rows: 16044,
          bytes: catalog.tables.find((t) => t.name === 'rental')!.stats.totalBytes,
          growthPerDay: 200_000,
        },
      ],
    ]);
  });
});
