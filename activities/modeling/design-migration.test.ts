import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { lemmyMigrations } from '../../test/review/lemmy';
import { fingerprint, introspect } from '../analysis/introspection';
import type { MigrationStep } from '../migration';
import { designMigration } from './design-migration';
import { modelSpec } from './model';
import { loadSpec } from './spec';

const now = new Date('2026-11-27T12:00:00Z');
const modelOf = async (file: string) => modelSpec(await loadSpec(readFileSync(join(__dirname, '../../examples', file), 'utf8'), file), { now });

/** Applies steps as the runner does: transactional ones in a transaction, the others alone. */
async function apply(url: string, steps: { sql: string; kind: MigrationStep['kind'] }[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const step of steps) {
      if (step.kind === 'transactional') await client.query(`BEGIN;\n${step.sql}\nCOMMIT;`);
      else await client.query(step.sql);
    }
  } finally {
    await client.end();
  }
}

async function fingerprintOf(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return fingerprint(await introspect(client, { statements: 0 }));
  } finally {
    await client.end();
  }
}

describe('designMigration: up reaches the design, down brings the target back', () => {
  let target: TestDatabase;
  afterEach(() => target?.drop());

  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml'])('%s against an empty target, by the down and by every step’s undo', async (file) => {
    target = await createTestDatabase('sw_design_target');
    const model = await modelOf(file);
    const migration = await designMigration(model, { connectionString: target.url }, { now });
    expect(migration.name).toBe(`design_${model.name}`);
    expect(migration.version).toBe('20261127120000');
    expect(migration.steps.length).toBeGreaterThan(model.tables.length);
    const original = await fingerprintOf(target.url);
    expect(migration.fingerprints.target).toBe(original);

    await apply(target.url, migration.steps);
    expect(await fingerprintOf(target.url)).toBe(migration.fingerprints.desired);
    await apply(target.url, migration.downSteps);
    expect(await fingerprintOf(target.url)).toBe(original);

    // On an empty target everything is created, so every step knows its own undo (validating a constraint changes nothing to undo).
    expect(migration.steps.filter((s) => !s.undo && !/ validate constraint /i.test(s.sql)).map((s) => s.sql)).toEqual([]);
    await apply(target.url, migration.steps);
    const undos = [...migration.steps].reverse().flatMap((s) => (s.undo ? [{ sql: s.undo, kind: 'transactional' as const }] : []));
    await apply(target.url, undos);
    expect(await fingerprintOf(target.url)).toBe(original);
  });

  it('ecommerce against a target with Lemmy’s first migrations: their tables go in the up and come back in the down', async () => {
    target = await createTestDatabase('sw_design_lemmy');
    const client = new Client({ connectionString: target.url });
    await client.connect();
    for (const migration of lemmyMigrations().slice(0, 6)) await client.query(migration.up);
    await client.end();
    const original = await fingerprintOf(target.url);
    const model = await modelOf('ecommerce.yaml');
    const migration = await designMigration(model, { connectionString: target.url }, { now });
    expect(migration.steps.map((s) => s.sql).filter((sql) => /^drop table/i.test(sql)).length).toBeGreaterThan(0);

    await apply(target.url, migration.steps);
    expect(await fingerprintOf(target.url)).toBe(migration.fingerprints.desired);
    await apply(target.url, migration.downSteps);
    expect(await fingerprintOf(target.url)).toBe(original);
  });
});
