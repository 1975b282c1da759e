import { Client } from 'pg';
import { verifyOnShadow } from './shadow';
import { createTestDatabase, type TestDatabase } from '../test/support/stack';
import { lemmyMigrations } from '../test/review/lemmy';

async function run(url: string, sql: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of sql) await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('verifyOnShadow', () => {
  let target: TestDatabase;
  afterEach(async () => target?.drop());

  it('passes a migration whose down restores the schema, and leaves the target untouched', async () => {
    target = await createTestDatabase('sw_shadow_ok');
    await run(target.url, ['CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL)']);
    const result = await verifyOnShadow(target.url, [
      { name: 'add_tags', up: 'CREATE TABLE tags (id bigint PRIMARY KEY); ALTER TABLE posts ADD COLUMN tag_id bigint REFERENCES tags', down: 'ALTER TABLE posts DROP COLUMN tag_id; DROP TABLE tags' },
    ]);
    expect(result.findings).toEqual([]);
    expect(result.fingerprints.afterDown).toBe(result.fingerprints.before);
    expect(result.fingerprints.afterUp).not.toBe(result.fingerprints.before);
    const client = new Client({ connectionString: target.url });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'tags'");
    await client.end();
    expect(rows[0].n).toBe(0);
  });

  it('reports a down that leaves the schema different, naming the table', async () => {
    target = await createTestDatabase('sw_shadow_diff');
    await run(target.url, ['CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, body text)']);
    const result = await verifyOnShadow(target.url, [
      { name: 'drop_title', up: 'ALTER TABLE posts DROP COLUMN title', down: 'ALTER TABLE posts ADD COLUMN title text' },
    ]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ id: 'SW-SHADOW-FAILED', severity: 'error', evidence: { direction: 'down', sqlstate: null } });
    expect(result.findings[0]!.message).toContain('public.posts');
  });

  it("reports the database's own error for an up that fails", async () => {
    target = await createTestDatabase('sw_shadow_up');
    const result = await verifyOnShadow(target.url, [{ name: 'bad', up: 'ALTER TABLE missing ADD COLUMN a int', down: 'SELECT 1' }]);
    expect(result.findings[0]).toMatchObject({ id: 'SW-SHADOW-FAILED', evidence: { direction: 'up', sqlstate: '42P01', error: 'relation "missing" does not exist' } });
  });

  it("finds the real defect of Lemmy's apub_columns down: views a later down re-created depend on its column", async () => {
    target = await createTestDatabase('sw_shadow_lemmy');
    const all = lemmyMigrations();
    const first = all.findIndex((m) => m.name === '2021-02-02-153240_apub_columns');
    const last = all.findIndex((m) => m.name === '2021-03-09-171136_split_user_table_2');
    await run(target.url, all.slice(0, first).map((m) => `BEGIN;\n${m.up}\nCOMMIT;`));
    const result = await verifyOnShadow(target.url, all.slice(first, last + 1));
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      id: 'SW-SHADOW-FAILED',
      object: '2021-02-02-153240_apub_columns',
      evidence: { direction: 'down', sqlstate: '2BP01', error: expect.stringContaining('cannot drop column inbox_url of table user_ because other objects depend on it') },
    });
    expect(String(result.findings[0]!.evidence!.error)).toContain('view user_alias_1 depends on column inbox_url of table user_');
  });
});
