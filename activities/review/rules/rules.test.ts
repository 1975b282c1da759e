import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import { introspect, type Catalog } from '../../../postgres/introspection';
import { parseStatements } from '../../../postgres/parse';
import { DEFAULT_PG_VERSION, parsePgVersion } from '../../../postgres/pg-version';
import { lintRules, runRules } from './index';
import type { LintRule, RuleExample } from './rule';
import { fkWithoutIndex } from './SW-L-FK-NO-INDEX';
import { refreshNotConcurrent } from './SW-L-REFRESH-NOT-CONCURRENT';
import { stepsOfSql } from '../../../postgres/steps';
import { applyMeasured } from '../../../test/support/measured-steps';
import { blocksOf } from '../locks';

let db: TestDatabase | undefined;
let client: Client | undefined;
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** The example's target schema, made on PostgreSQL in a transaction rolled back after reading it. */
async function catalogOf(target: string): Promise<Catalog> {
  if (!client) {
    db = await createTestDatabase('sw_rules');
    client = new Client({ connectionString: db.url });
    await client.connect();
  }
  await client.query('BEGIN');
  try {
    await client.query(target);
    return await introspect(client, { statements: 0 });
  } finally {
    await client.query('ROLLBACK');
  }
}

async function messages(rule: LintRule, example: RuleExample): Promise<string[]> {
  const context = {
    pgVersion: example.pgVersion ? parsePgVersion(example.pgVersion) : DEFAULT_PG_VERSION,
    down: example.down === undefined ? undefined : await parseStatements(example.down, 'down.sql'),
    catalog: example.target === undefined ? undefined : await catalogOf(example.target),
  };
  if (example.catalogWithoutTypes) delete context.catalog?.types;
  return runRules(await parseStatements(example.sql, 'up.sql'), context, [rule]).map((finding) => finding.message);
}

describe.each(lintRules.map((rule) => [rule.id, rule] as const))('%s', (_id, rule) => {
  it('has examples that pass and fail', () => {
    expect(rule.examples.pass.length).toBeGreaterThan(0);
    expect(rule.examples.fail.length).toBeGreaterThan(0);
  });

  it.each(rule.examples.pass.map((example) => [example.sql, example] as const))('passes: %s', async (_sql, example) => {
    expect(await messages(rule, example)).toEqual([]);
  });

  it.each(rule.examples.fail.map((example) => [example.sql, example] as const))('fails: %s', async (_sql, example) => {
    expect(await messages(rule, example)).toEqual(example.messages);
  });
});

describe('the SQL fixes rules offer, applied on PostgreSQL as the runner applies them', () => {
  /** A committed target of its own, so the locks read are the statements' alone. */
  async function onTarget<T>(schema: string, work: (client: Client, url: string) => Promise<T>): Promise<T> {
    const target = await createTestDatabase('sw_rule_fix');
    const targetClient = new Client({ connectionString: target.url });
    await targetClient.connect();
    try {
      await targetClient.query(schema);
      return await work(targetClient, target.url);
    } finally {
      await targetClient.end();
      await target.drop();
    }
  }
  const version = async (client: Client) =>
    parsePgVersion((await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v);

  it('SW-L-FK-NO-INDEX on a live table: the index is built CONCURRENTLY (SHARE UPDATE EXCLUSIVE, writes go on) and the finding goes away', async () => {
    await onTarget(
      'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, author_id bigint); INSERT INTO person VALUES (1); INSERT INTO post SELECT g, 1 FROM generate_series(1, 1000) g',
      async (client, url) => {
        const migration = await parseStatements(
          'ALTER TABLE post ADD FOREIGN KEY (author_id) REFERENCES person',
          'up.sql',
        );
        const pgVersion = await version(client);
        const [finding] = runRules(migration, { pgVersion, catalog: await introspect(client) }, [fkWithoutIndex]);
        expect(finding?.fix).toBe('CREATE INDEX CONCURRENTLY post_author_id_idx ON public.post (author_id);');
        const steps = await stepsOfSql('fk', `${migration[0]!.sql};\n${finding!.fix}`, pgVersion);
        const [, fix] = await applyMeasured(client, url, steps);
        expect(fix).toMatchObject({ locks: { 'public.post': 'SHARE UPDATE EXCLUSIVE' }, rewritten: [] });
        expect(blocksOf(fix!.locks['public.post']!)).toBe('nothing');
        expect(fkWithoutIndex.remedy).toContain('CONCURRENTLY on a live one');
        expect(runRules(migration, { pgVersion, catalog: await introspect(client) }, [fkWithoutIndex])).toEqual([]);
      },
    );
  });

  it('SW-L-REFRESH-NOT-CONCURRENT: the statement holds ACCESS EXCLUSIVE as the finding says; its fix EXCLUSIVE, which lets reads go on', async () => {
    await onTarget(
      'CREATE TABLE sale (id int PRIMARY KEY, amount int); INSERT INTO sale SELECT g, g FROM generate_series(1, 100) g; CREATE MATERIALIZED VIEW totals AS SELECT id % 10 AS bucket, sum(amount) AS total FROM sale GROUP BY 1; CREATE UNIQUE INDEX ON totals (bucket)',
      async (client, url) => {
        const statements = await parseStatements('REFRESH MATERIALIZED VIEW totals', 'up.sql');
        const [finding] = runRules(statements, { pgVersion: await version(client) }, [refreshNotConcurrent]);
        // The fix ends at its statement; what follows in parentheses is its condition, which the view meets.
        const fix = finding!.fix!.slice(0, finding!.fix!.indexOf(';'));
        const [asWritten, fixed] = await applyMeasured(client, url, [
          { kind: 'transactional', name: 'as-written', sql: statements[0]!.sql },
          { kind: 'transactional', name: 'fix', sql: fix },
        ]);
        expect(refreshNotConcurrent.explanation).toContain('ACCESS EXCLUSIVE');
        expect(asWritten!.locks['public.totals']).toBe('ACCESS EXCLUSIVE');
        expect(fixed!.locks['public.totals']).toBe('EXCLUSIVE');
      },
    );
  });
});
