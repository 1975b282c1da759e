import { Client } from 'pg';
import { readEnvironment } from '../config/environment';
import { schemaDiff, verifyOnShadow } from './shadow';
import { readTargetCatalog } from './target';
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

/**
 * The warm templates on the shadow server holding a table `posts` with column `tag` (this test's own:
 * other tests make templates at the same time), with their oids (a template made again has a new oid)
 * and the owners of their objects.
 */
async function templatesOf(tag: string): Promise<{ template: string; owners: string[] }[]> {
  const found: { template: string; owners: string[] }[] = [];
  for (const template of await shadowRows(
    "SELECT datname || ':' || oid AS t FROM pg_database WHERE datname LIKE 'sw_tpl_%' ORDER BY oid",
  )) {
    const url = new URL(readEnvironment().shadow.url!);
    url.pathname = `/${template.split(':')[0]}`;
    const client = new Client({ connectionString: url.toString() });
    // Another test's review may drop an old template between the listing and this connection.
    if (
      await client.connect().then(
        () => false,
        () => true,
      )
    )
      continue;
    try {
      const { rows } = await client.query(
        `SELECT array_agg(DISTINCT pg_get_userbyid(relowner)::text) AS owners,
                bool_or(EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND c.relname = 'posts' AND a.attname = $1)) AS ours
           FROM pg_class c WHERE relnamespace = 'public'::regnamespace`,
        [tag],
      );
      if (rows[0].ours) found.push({ template, owners: rows[0].owners });
    } finally {
      await client.end();
    }
  }
  return found;
}

async function shadowRows(sql: string): Promise<string[]> {
  const admin = new Client({ connectionString: readEnvironment().shadow.url });
  await admin.connect();
  try {
    const { rows } = await admin.query(sql);
    return rows.map((row) => row.t as string);
  } finally {
    await admin.end();
  }
}

/** A target with a schema of its own (a column named `tag`, by the time), so its warm template is new. */
async function postsTarget(name: string, tag = `tag_${Date.now()}`): Promise<TestDatabase> {
  const target = await createTestDatabase(name);
  await run(target.url, [`CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, ${tag} int)`]);
  return target;
}

const ADD_BODY = {
  name: 'add_body',
  up: 'ALTER TABLE posts ADD COLUMN body text',
  down: 'ALTER TABLE posts DROP COLUMN body',
};

describe('verifyOnShadow', () => {
  let target: TestDatabase;
  afterEach(async () => target?.drop());

  it('passes a migration whose down restores the schema, and leaves the target untouched', async () => {
    target = await createTestDatabase('sw_shadow_ok');
    await run(target.url, ['CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL)']);
    const result = await verifyOnShadow(target.url, [
      {
        name: 'add_tags',
        up: 'CREATE TABLE tags (id bigint PRIMARY KEY); ALTER TABLE posts ADD COLUMN tag_id bigint REFERENCES tags',
        down: 'ALTER TABLE posts DROP COLUMN tag_id; DROP TABLE tags',
      },
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

  it('a second review of an unchanged target clones the warm template instead of copying the schema again', async () => {
    const tag = `tag_${Date.now()}`;
    target = await postsTarget('sw_shadow_warm', tag);
    const first = await verifyOnShadow(target.url, [ADD_BODY]);
    expect(first).toMatchObject({ copiedFrom: 'target', findings: [] });
    const templates = await templatesOf(tag);
    expect(templates).toHaveLength(1);
    const second = await verifyOnShadow(target.url, [ADD_BODY]);
    // The same schema, verified the same way, and no new copy on the shadow server.
    expect(second).toMatchObject({ copiedFrom: 'template', findings: [], fingerprints: first.fingerprints });
    expect(await templatesOf(tag)).toEqual(templates);

    await run(target.url, ['CREATE TABLE tags (id bigint PRIMARY KEY)']);
    const changed = await verifyOnShadow(target.url, [ADD_BODY]);
    expect(changed.copiedFrom).toBe('target');
    expect(changed.fingerprints.before).not.toBe(first.fingerprints.before);
    // The templates' objects are the template owner's, not a review's role (dropped after the review).
    const after = await templatesOf(tag);
    expect(after).toHaveLength(2);
    for (const { owners } of after) expect(owners).toEqual(['sw_shadow_template_owner']);
  });

  it('given the catalog under review, clones its warm template without reading the target again', async () => {
    target = await postsTarget('sw_shadow_reviewed');
    const reviewed = await readTargetCatalog(target.url);
    const first = await verifyOnShadow(target.url, [ADD_BODY], undefined, reviewed);
    expect(first).toMatchObject({ copiedFrom: 'target', findings: [] });
    // The target is gone: only the catalog under review can find the template.
    await target.drop();
    const second = await verifyOnShadow(target.url, [ADD_BODY], undefined, reviewed);
    expect(second).toMatchObject({ copiedFrom: 'template', findings: [], fingerprints: first.fingerprints });
  });

  it('reports a down that leaves the schema different, naming the table', async () => {
    target = await createTestDatabase('sw_shadow_diff');
    await run(target.url, ['CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, body text)']);
    const result = await verifyOnShadow(target.url, [
      {
        name: 'drop_title',
        up: 'ALTER TABLE posts DROP COLUMN title',
        down: 'ALTER TABLE posts ADD COLUMN title text',
      },
    ]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      id: 'SW-SHADOW-FAILED',
      severity: 'error',
      evidence: { direction: 'down', sqlstate: null },
    });
    expect(result.findings[0]!.message).toContain('public.posts');
  });

  it('reports what the copy could not reproduce as a finding naming the object: an event trigger, which needs a superuser', async () => {
    target = await createTestDatabase('sw_shadow_gap');
    await run(target.url, [
      'CREATE TABLE posts (id bigint PRIMARY KEY)',
      "CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$",
      'CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION audit_ddl()',
    ]);
    const result = await verifyOnShadow(target.url, [
      { name: 'add_title', up: 'ALTER TABLE posts ADD COLUMN title text', down: 'ALTER TABLE posts DROP COLUMN title' },
    ]);
    expect(result.findings).toEqual([]);
    expect(result.copyGaps).toEqual([
      expect.objectContaining({
        id: 'SW-SHADOW-COPY-GAP',
        severity: 'warning',
        object: 'event trigger audit_ddl',
        message: expect.stringContaining(
          'The shadow could not reproduce event trigger audit_ddl: permission denied to create event trigger "audit_ddl".',
        ),
        evidence: expect.objectContaining({
          statement: expect.stringContaining('CREATE EVENT TRIGGER audit_ddl ON ddl_command_end'),
        }),
      }),
    ]);
  });

  it("reports the database's own error for an up that fails", async () => {
    target = await createTestDatabase('sw_shadow_up');
    const result = await verifyOnShadow(target.url, [
      { name: 'bad', up: 'ALTER TABLE missing ADD COLUMN a int', down: 'SELECT 1' },
    ]);
    expect(result.findings[0]).toMatchObject({
      id: 'SW-SHADOW-FAILED',
      evidence: { direction: 'up', sqlstate: '42P01', error: 'relation "missing" does not exist' },
    });
  });

  it('points a failure at its statement in the file, past a privileged statement left out', async () => {
    target = await createTestDatabase('sw_shadow_line');
    const role = `skipped_${Date.now().toString(36)}`;
    const result = await verifyOnShadow(target.url, [
      {
        name: 'lines',
        up: `CREATE TABLE a (id int);\nCREATE ROLE ${role};\nINSERT INTO a VALUES (1);\n  UPDATE a SET id = nope;`,
        down: 'DROP TABLE a',
        file: '001_lines.sql',
      },
    ]);
    expect(result.findings.find((f) => f.id === 'SW-SHADOW-FAILED')).toMatchObject({
      evidence: { direction: 'up', sqlstate: '42703' },
      location: { file: '001_lines.sql', line: 4, column: 21 },
    });
  });

  it('names an undefined type at the line and column where the statement uses it', async () => {
    target = await createTestDatabase('sw_shadow_type');
    const result = await verifyOnShadow(target.url, [
      {
        name: 'mood',
        up: 'CREATE TABLE person (id bigint PRIMARY KEY);\nALTER TABLE person\n  ADD COLUMN feeling mood;',
        down: 'DROP TABLE person',
        file: '002_mood.sql',
      },
    ]);
    expect(result.findings).toEqual([
      expect.objectContaining({
        id: 'SW-SHADOW-FAILED',
        message: 'The up of mood fails on the shadow database: type "mood" does not exist (SQLSTATE 42704).',
        location: { file: '002_mood.sql', line: 3, column: 22 },
      }),
    ]);
  });

  it("finds the real defect of Lemmy's apub_columns down: views a later down re-created depend on its column", async () => {
    target = await createTestDatabase('sw_shadow_lemmy');
    const all = lemmyMigrations();
    const first = all.findIndex((m) => m.name === '2021-02-02-153240_apub_columns');
    const last = all.findIndex((m) => m.name === '2021-03-09-171136_split_user_table_2');
    await run(
      target.url,
      all.slice(0, first).map((m) => `BEGIN;\n${m.up}\nCOMMIT;`),
    );
    const result = await verifyOnShadow(target.url, all.slice(first, last + 1));
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      id: 'SW-SHADOW-FAILED',
      object: '2021-02-02-153240_apub_columns',
      evidence: {
        direction: 'down',
        sqlstate: '2BP01',
        error: expect.stringContaining(
          'cannot drop column inbox_url of table user_ because other objects depend on it',
        ),
      },
    });
    expect(String(result.findings[0]!.evidence!.error)).toContain(
      'view user_alias_1 depends on column inbox_url of table user_',
    );
  });

  it('never runs a privileged statement: it skips it before anything runs, says which and why, and a failure that may come from the skip is a warning', async () => {
    target = await createTestDatabase('sw_shadow_privileged');
    const role = `evil_${Date.now().toString(36)}`;
    const up = `CREATE TABLE loot (body text);\nCREATE ROLE ${role};\nGRANT SELECT ON loot TO ${role};`;
    const result = await verifyOnShadow(target.url, [
      { name: 'loot', up, down: 'DROP TABLE loot', file: '001_loot.sql' },
    ]);
    expect(result.skipped).toEqual([
      {
        migration: 'loot',
        direction: 'up',
        file: '001_loot.sql',
        line: 2,
        sql: `CREATE ROLE ${role}`,
        reasons: ['creates a role (roles belong to the whole cluster)'],
      },
    ]);
    expect(result.findings.map((f) => [f.id, f.severity, f.location?.line])).toEqual([
      ['SW-SHADOW-SKIPPED', 'info', 2],
      // The GRANT that failed, at its line in the file.
      ['SW-SHADOW-FAILED', 'warning', 3],
    ]);
    expect(result.findings[1]!.message).toBe(
      `The up of loot fails on the shadow database: role "${role}" does not exist (SQLSTATE 42704). The shadow had skipped 1 privileged statement(s) (SW-SHADOW-SKIPPED): this may come from their absence.`,
    );
    const client = new Client({ connectionString: target.url });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [role]);
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});

describe('schemaDiff', () => {
  it("leaves nothing of its own in pg-promise's global registry once it ends: a worker diffs for months", async () => {
    const [from, to] = await Promise.all([createTestDatabase('sw_diff_from'), createTestDatabase('sw_diff_to')]);
    try {
      await run(to.url, ['CREATE TABLE posts (id bigint PRIMARY KEY)']);
      const registered = () =>
        (globalThis as Record<symbol, { dbs?: unknown[] } | undefined>)[Symbol.for('pgPromiseDatabasePool')]?.dbs
          ?.length ?? 0;
      const before = registered();
      for (let i = 0; i < 3; i++) expect((await schemaDiff(from.url, to.url)).join('\n')).toContain('create table');
      expect(registered()).toBe(before);
    } finally {
      await Promise.all([from.drop(), to.drop()]);
    }
  });
});
