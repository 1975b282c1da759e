import { readFileSync } from 'node:fs';
import { importMigrations, applyMigrations } from '../../activities/apply';
import { fingerprint, type Catalog } from '../../postgres/introspection';
import { modelDesign } from '../../activities/modeling';
import { copyTargetSchema } from '../../postgres/shadow-copy';
import { readTargetCatalog as readCatalog } from '../../postgres/target';
import { withSandboxDatabase } from '../../stack/shadow-server';
import { loadDataset } from '../support/datasets';
import { runSql } from '../support/requests';
import { createTargetRoles, createTestDatabase, type TestDatabase } from '../support/stack';
import { LEMMY_DIR, MARQUEZ_DIR } from '../support/fixtures';

/**
 * The bar for the shadow copy: made by the target's reader alone, it reports nothing it could not
 * reproduce, and the shadow's fingerprint is the target's.
 */
async function expectFaithfulCopy(db: TestDatabase): Promise<Catalog> {
  const roles = await createTargetRoles(db);
  try {
    const target = await readCatalog(db.url);
    await withSandboxDatabase(async (sandbox) => {
      const copy = await copyTargetSchema(roles.readerUrl, sandbox);
      expect(copy.gaps).toEqual([]);
      expect(fingerprint(await readCatalog(sandbox.url))).toBe(fingerprint(target));
    });
    return target;
  } finally {
    await db.drop();
    await roles.drop();
  }
}

async function appliedDesign(example: string): Promise<TestDatabase> {
  const db = await createTestDatabase('sw_fidelity_design');
  const design = await modelDesign(readFileSync(`examples/${example}.yaml`, 'utf8'), {
    fileName: `${example}.yaml`,
    target: { connectionString: db.url },
  });
  const { name, steps } = design.migration!;
  await applyMigrations({ name: 'shop', connectionString: db.url }, [{ version: '1', name, steps }], {
    requestId: `fidelity-${example}`,
    decidedBy: ['ann'],
  });
  return db;
}

describe('the shadow copy of a target, read by its reader role, has the same fingerprint', () => {
  it('Pagila, with its partitioned payment', async () => {
    const catalog = await expectFaithfulCopy(await loadDataset('pagila'));
    expect(catalog.tables.find((t) => t.schema === 'public' && t.name === 'payment')?.partitioning).toBeTruthy();
  });

  it('MusicBrainz, whose varchar IN checks and a UNION view PostgreSQL prints in a form that parses back to another', async () => {
    const catalog = await expectFaithfulCopy(await loadDataset('musicbrainz'));
    const check = catalog.tables
      .find((t) => t.schema === 'musicbrainz' && t.name === 'series_type')
      ?.constraints.find((c) => c.name === 'allowed_series_entity_type');
    expect(check?.definition).toContain("ANY ((ARRAY['artist'::character varying");
  });

  it('Danbooru (with pgstattuple, an untrusted extension)', async () => {
    const catalog = await expectFaithfulCopy(await loadDataset('danbooru'));
    expect(catalog.extensions.map((e) => e.name)).toContain('pgstattuple');
  });

  it("Lemmy's final schema", async () => {
    const db = await createTestDatabase('sw_fidelity_lemmy');
    await runSql(
      db.url,
      'CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    );
    await applyMigrations({ name: 'lemmy', connectionString: db.url }, await importMigrations(LEMMY_DIR), {
      requestId: 'fidelity-lemmy',
      decidedBy: ['ann'],
    });
    await expectFaithfulCopy(db);
  });

  it("Marquez's final schema", async () => {
    const db = await createTestDatabase('sw_fidelity_marquez');
    await applyMigrations({ name: 'marquez', connectionString: db.url }, await importMigrations(MARQUEZ_DIR), {
      requestId: 'fidelity-marquez',
      decidedBy: ['ann'],
    });
    await expectFaithfulCopy(db);
  });

  it.each(['ecommerce', 'saas', 'metrics'])('the %s example design after it was applied', async (example) => {
    await expectFaithfulCopy(await appliedDesign(example));
  });
});
