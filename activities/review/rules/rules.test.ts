import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import { introspect, type Catalog } from '../../../postgres/introspection';
import { parseStatements } from '../../../postgres/parse';
import { DEFAULT_PG_VERSION, parsePgVersion } from '../../../postgres/pg-version';
import { lintRules, runRules } from './index';
import type { LintRule, RuleExample } from './rule';

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
