import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/stack';
import { lemmyMigrations } from './review/lemmy';
import { fingerprint, introspect } from '../postgres/introspection';
import type { MigrationStep } from '../artifacts/migration';
import { readTargetCatalog } from '../postgres/target';
import { designMigration } from '../activities/modeling/design-migration';
import { modelSpec } from '../activities/modeling/model';
import { loadSpec } from '../activities/modeling/spec';
import { reviewMigration } from '../activities/review/review';
import { foreignKeyWithoutIndex } from '../activities/analysis/findings/fk-no-index';
import { analysisContext } from '../activities/analysis/analyze';

const now = new Date('2026-11-27T12:00:00Z');
const modelOf = async (file: string) =>
  modelSpec(await loadSpec(readFileSync(join(__dirname, '../examples', file), 'utf8'), file), { now });

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

  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml', 'helpdesk.yaml'])(
    '%s against an empty target, by the down and by every step’s undo',
    async (file) => {
      target = await createTestDatabase('sw_design_target');
      const model = await modelOf(file);
      const migration = await designMigration(
        model,
        { connectionString: target.url, catalog: await readTargetCatalog(target.url) },
        { now },
      );
      expect(migration.name).toBe(`design_${model.name}`);
      expect(migration.version).toBe('20261127120000');
      expect(migration.steps.length).toBeGreaterThan(model.tables.length);
      const original = await fingerprintOf(target.url);
      expect(migration.fingerprints.target).toBe(original);

      // The design passes its own checks of foreign-key indexes and types: review of the migration with
      // the target's catalog, and analysis of the schema it leaves (tenant keys served by the parent's id).
      const reviewed = await reviewMigration({
        files: [{ path: `${migration.name}.sql`, up: migration.steps.map((s) => s.sql).join(';\n') }],
        catalog: await readTargetCatalog(target.url),
      });
      expect(reviewed.findings.filter((f) => /^SW-L-(FK-NO-INDEX|UNDEFINED-TYPE)$/.test(f.id))).toEqual([]);
      await apply(target.url, migration.steps);
      expect(await fingerprintOf(target.url)).toBe(migration.fingerprints.desired);
      const designed = await readTargetCatalog(target.url);
      expect(foreignKeyWithoutIndex.find(analysisContext(designed))).toEqual([]);
      await apply(target.url, migration.downSteps);
      expect(await fingerprintOf(target.url)).toBe(original);

      // On an empty target everything is created, so every step knows its own undo (validating a constraint changes nothing to undo).
      expect(migration.steps.filter((s) => !s.undo && !/ validate constraint /i.test(s.sql)).map((s) => s.sql)).toEqual(
        [],
      );
      await apply(target.url, migration.steps);
      const undos = [...migration.steps]
        .reverse()
        .flatMap((s) => (s.undo ? [{ sql: s.undo, kind: 'transactional' as const }] : []));
      await apply(target.url, undos);
      expect(await fingerprintOf(target.url)).toBe(original);
    },
  );

  it('a greenfield migration is short: no NOT VALID + VALIDATE pairs, no index-then-constraint pairs, no drops of a dropped table’s own objects', async () => {
    target = await createTestDatabase('sw_design_target');
    const model = await modelOf('helpdesk.yaml');
    const migration = await designMigration(
      model,
      { connectionString: target.url, catalog: await readTargetCatalog(target.url) },
      { now },
    );
    const up = migration.steps.map((s) => s.sql);
    expect(up.filter((sql) => / not valid;$| validate constraint | using index /i.test(sql))).toEqual([]);
    expect(up.filter((sql) => /^create unique index /i.test(sql))).toEqual([]);
    expect(up).toContain('alter table "public"."ticket" add constraint "ticket_pkey" PRIMARY KEY (id);');
    expect(up).toContain(
      'alter table "public"."ticket" add constraint "ticket_customer_id_fkey" FOREIGN KEY (account_id, customer_id) REFERENCES customer(account_id, id) ON DELETE RESTRICT;',
    );
    const down = migration.downSteps.map((s) => s.sql);
    expect(
      down.filter((sql) => /^drop policy |^drop index | drop constraint "\w+_(key|pkey|check)"/i.test(sql)),
    ).toEqual([]);
    expect(down.filter((sql) => /^drop table /i.test(sql))).toHaveLength(model.tables.length);
  });

  it('builds indexes on tables the target already has CONCURRENTLY, as steps of their own, and undoes them the same way', async () => {
    target = await createTestDatabase('sw_design_online');
    const client = new Client({ connectionString: target.url });
    await client.connect();
    await client.query(
      'CREATE TABLE public.customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
    );
    await client.end();
    const original = await fingerprintOf(target.url);
    const spec = await loadSpec(`name: shop
entities:
  customer:
    fields: { email: { type: text, unique: true }, name: text, created_at: { type: timestamptz, default_sql: now() } }
  order:
    fields: { customer: { ref: customer }, placed_at: timestamptz }
access_patterns:
  - name: customers by name
    sql: SELECT id FROM customer WHERE name = $1
    per_second: 10
`);
    const migration = await designMigration(
      modelSpec(spec, { now }),
      { connectionString: target.url, catalog: await readTargetCatalog(target.url) },
      { now },
    );
    const online = migration.steps.filter((s) => s.kind === 'non-transactional');
    expect(online.map((s) => [s.sql, s.undo])).toEqual([
      [
        'CREATE UNIQUE INDEX CONCURRENTLY customer_email_key ON public.customer USING btree (email);',
        'DROP INDEX CONCURRENTLY IF EXISTS public.customer_email_key;',
      ],
      [
        'CREATE INDEX CONCURRENTLY customer_name_idx ON public.customer USING btree (name);',
        'DROP INDEX CONCURRENTLY IF EXISTS public.customer_name_idx;',
      ],
    ]);
    expect(
      migration.steps.some((s) => s.kind === 'transactional' && /^CREATE INDEX order_customer_id_idx/.test(s.sql)),
    ).toBe(true);
    expect(migration.downSteps.filter((s) => s.kind === 'non-transactional').map((s) => s.sql)).toEqual([
      'DROP INDEX CONCURRENTLY if exists "public"."customer_email_key";',
      'DROP INDEX CONCURRENTLY if exists "public"."customer_name_idx";',
    ]);

    await apply(target.url, migration.steps);
    expect(await fingerprintOf(target.url)).toBe(migration.fingerprints.desired);
    await apply(target.url, migration.downSteps);
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
    const migration = await designMigration(
      model,
      { connectionString: target.url, catalog: await readTargetCatalog(target.url) },
      { now },
    );
    expect(migration.steps.map((s) => s.sql).filter((sql) => /^drop table/i.test(sql)).length).toBeGreaterThan(0);

    await apply(target.url, migration.steps);
    expect(await fingerprintOf(target.url)).toBe(migration.fingerprints.desired);
    await apply(target.url, migration.downSteps);
    expect(await fingerprintOf(target.url)).toBe(original);
  });
});
