import { Client } from 'pg';
import { fingerprint, introspect, type Catalog } from '../postgres/introspection';
import { applyMigrations, importMigrations } from '../activities/apply';
import type { Migration } from '../artifacts/migration';
import { closedSchemaDiff } from '../activities/modeling/migra-gaps';
import { applyInDependencyOrder } from '../postgres/shadow';
import { runSql } from './support/requests';
import { createTestDatabase, type TestDatabase } from './support/stack';
import { LEMMY_DIR, MARQUEZ_DIR } from './support/fixtures';

async function catalogOf(url: string): Promise<Catalog> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await introspect(client, { statements: 0 });
  } finally {
    await client.end();
  }
}

/**
 * The differ (migra with its gaps closed) on real histories written by others: the database before
 * migration k and the one after it; diff(before, after) applied to `before` gives `after`'s fingerprint.
 */
describe('diff(before, after) applied to before yields after, on consecutive real migrations', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const db of databases.splice(0)) await db.drop();
  });

  async function databaseWith(migrations: Migration[], setup?: string): Promise<TestDatabase> {
    const db = await createTestDatabase('sw_diff');
    databases.push(db);
    if (setup) await runSql(db.url, setup);
    await applyMigrations({ name: db.name, connectionString: db.url }, migrations, {
      requestId: 'diff-histories',
      decidedBy: [],
    });
    return db;
  }

  async function expectDiffReaches(all: Migration[], k: number, setup?: string): Promise<string[]> {
    const before = await databaseWith(all.slice(0, k), setup);
    const after = await databaseWith(all.slice(0, k + 1), setup);
    const target = await catalogOf(after.url);
    const statements = await closedSchemaDiff(
      { url: before.url, catalog: await catalogOf(before.url) },
      { url: after.url, catalog: target },
    );
    expect(await applyInDependencyOrder(before.url, statements)).toEqual([]);
    expect(fingerprint(await catalogOf(before.url))).toBe(fingerprint(target));
    return statements;
  }

  it.each([10, 30, 46, 70])('Marquez: the migration after the first %i', async (k) => {
    const migrations = await importMigrations(MARQUEZ_DIR);
    const statements = await expectDiffReaches(migrations, k);
    expect(statements.length).toBeGreaterThan(0);
  });

  it.each([20, 120, 250])('Lemmy: the migration after the first %i', async (k) => {
    const diesel =
      'CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)';
    const migrations = await importMigrations(LEMMY_DIR);
    await expectDiffReaches(migrations, k, diesel);
  });
});
