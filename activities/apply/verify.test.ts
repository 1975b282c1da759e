import { applyMigration, verifyApplied } from './';
import type { Migration } from '../../artifacts/migration';
import { runSql } from '../../test/support/requests';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';

const MIGRATION: Migration = {
  version: '7',
  name: 'tags',
  steps: [
    { kind: 'transactional', name: 'tags#1', sql: 'CREATE TABLE tags (id bigint PRIMARY KEY, name text)' },
    { kind: 'non-transactional', name: 'tags#2', sql: 'CREATE INDEX CONCURRENTLY tags_name_idx ON tags (name)' },
  ],
};

describe('verifyApplied: the target’s own records after an apply', () => {
  let db: TestDatabase;
  let target: { name: string; connectionString: string };
  beforeEach(async () => {
    db = await createTestDatabase('sw_verify_applied');
    target = { name: 'shop', connectionString: db.url };
    await applyMigration(target, MIGRATION, { requestId: 'r1', decidedBy: ['ann'] });
  });
  afterEach(() => db.drop());

  it('finds nothing wrong after a clean apply, whatever else is broken on the target', async () => {
    // Someone else's failed unique build: INVALID, but not this migration's.
    await runSql(db.url, 'CREATE TABLE other (n int); INSERT INTO other VALUES (1), (1)');
    await runSql(db.url, 'CREATE UNIQUE INDEX CONCURRENTLY other_n_key ON other (n)').catch(() => undefined);
    expect(await verifyApplied(target, MIGRATION)).toEqual([]);
  });

  it('names a step that is not recorded, SQL that is not what was applied, and an index of its own left INVALID', async () => {
    await runSql(db.url, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'tags_name_idx'::regclass`);
    const changed: Migration = {
      ...MIGRATION,
      steps: [
        { ...MIGRATION.steps[0]!, sql: 'CREATE TABLE tags (id bigint PRIMARY KEY, name text, color text)' },
        MIGRATION.steps[1]!,
        { kind: 'transactional', name: 'tags#3', sql: 'SELECT 1' },
      ],
    };
    const problems = await verifyApplied(target, changed);
    expect(problems).toEqual([
      expect.stringMatching(
        /^step tags#1 of migration 7 was applied with checksum sha256-v1:[0-9a-f]{64}, not the approved sha256-v1:[0-9a-f]{64}$/,
      ),
      "step tags#3 of migration 7 is not recorded in the target's history",
      'index tags_name_idx is INVALID: rebuild it (REINDEX INDEX CONCURRENTLY tags_name_idx)',
    ]);
  });
});
