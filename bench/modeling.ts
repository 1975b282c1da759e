/**
 * npm run bench:modeling — per example spec: spec → model (validation, modeling, DDL, findings),
 * the migration to an empty target and to one holding Lemmy's first migrations (shadow database,
 * two migra diffs, gap fixes, steps), and the EXPLAIN verification; against a floor measured in the
 * same run: migra's diff alone between the same two schemas, already loaded. Prints figures, asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { designMigration } from '../activities/modeling/design-migration';
import { verifyIndexes } from '../activities/modeling/index-verification';
import { modelSpec } from '../activities/modeling/model';
import { loadSpec } from '../activities/modeling/spec';
import { schemaDiff, withShadowDatabase } from '../postgres/shadow';
import { readTargetCatalog } from '../postgres/target';
import { databaseUrl } from '../store/database';
import { LEMMY_DIR } from '../test/support/fixtures';
import { currentModeller, indexFigures, previousModeller, printIndexFigures } from './support/index-figures';
import { startBenchStack } from './support/stack';

const LEMMY_FIRST = [
  '2019-02-26-002946_create_user',
  '2019-02-27-170003_create_community',
  '2019-03-03-163336_create_post',
  '2019-03-05-233828_create_comment',
  '2019-03-30-212058_create_post_view',
];

async function ms<T>(run: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const started = process.hrtime.bigint();
  const value = await run();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The verification's floor: a shadow database, the design's DDL and one generic EXPLAIN per read pattern, on empty tables. */
async function explainOnly(model: Awaited<ReturnType<typeof modelSpec>>, server: string): Promise<void> {
  await withShadowDatabase(server, async (url) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(model.ddl);
      for (const shape of model.patterns)
        if (shape.kind !== 'insert') await client.query(`EXPLAIN (GENERIC_PLAN) ${model.patternSql[shape.pattern]}`);
    } finally {
      await client.end();
    }
  });
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const admin = new Client({ connectionString: stack.postgres.adminUrl });
  await admin.connect();
  let n = 0;
  const database = async (sql?: string): Promise<string> => {
    const name = `bench_${n++}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = databaseUrl(stack.postgres.adminUrl, name);
    if (sql) {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(sql);
      await client.end();
    }
    return url;
  };
  const lemmySql = LEMMY_FIRST.map((m) => readFileSync(join(LEMMY_DIR, m, 'up.sql'), 'utf8')).join('\n');
  try {
    console.log(
      'example          validate+model  migration(empty)  migra floor(empty)  ratio  migration(Lemmy)  migra floor(Lemmy)  ratio  EXPLAIN verify  floor  ratio  steps up/down',
    );
    for (const file of ['ecommerce.yaml', 'saas.yaml', 'metrics.yaml', 'helpdesk.yaml']) {
      const text = readFileSync(join(__dirname, '../examples', file), 'utf8');
      await loadSpec(text); // load the parser once, outside the figures
      const modelRuns: number[] = [];
      let model = modelSpec(await loadSpec(text));
      for (let i = 0; i < 20; i++) modelRuns.push((await ms(async () => (model = modelSpec(await loadSpec(text))))).ms);

      const empty = await database();
      const migration = await ms(async () =>
        designMigration(model, { connectionString: empty, catalog: await readTargetCatalog(empty) }),
      );
      const desired = await database(model.ddl);
      const floorEmpty = await ms(async () => [
        await schemaDiff(empty, desired, model.schema),
        await schemaDiff(desired, empty, model.schema),
      ]);

      const lemmy = await database(lemmySql);
      const migrationLemmy = await ms(async () =>
        designMigration(model, { connectionString: lemmy, catalog: await readTargetCatalog(lemmy) }),
      );
      const floorLemmy = await ms(async () => [
        await schemaDiff(lemmy, desired, model.schema),
        await schemaDiff(desired, lemmy, model.schema),
      ]);

      const verify = await ms(() => verifyIndexes(model, { connectionString: empty }));
      const verifyFloor = await ms(() => explainOnly(model, empty));
      const f = (x: number) => `${Math.round(x)} ms`.padStart(8);
      console.log(
        `${file.padEnd(16)} ${f(median(modelRuns)).padStart(14)}  ${f(migration.ms).padStart(16)}  ${f(floorEmpty.ms).padStart(18)}  ${(migration.ms / floorEmpty.ms).toFixed(2).padStart(5)}x ${f(migrationLemmy.ms).padStart(16)}  ${f(floorLemmy.ms).padStart(18)}  ${(migrationLemmy.ms / floorLemmy.ms).toFixed(2).padStart(5)}x ${f(verify.ms).padStart(14)} ${f(verifyFloor.ms)} ${(verify.ms / verifyFloor.ms).toFixed(2).padStart(5)}x  ${migration.value.steps.length}/${migration.value.downSteps.length}`,
      );
    }
    console.log(
      '\nvalidate+model: median of 20 runs of loadSpec + modelSpec. migra floor: the two diffs (up and down) between the two schemas already loaded; the migration adds the shadow database, loading the DDL, two introspections, parsing and the gap fixes.',
    );
    console.log(
      "EXPLAIN verify: statistics shaped to the spec's volumes (a sample per table, ANALYZE, row counts scaled), then every pattern EXPLAINed; its floor: the shadow database, the DDL and the EXPLAINs on empty tables.",
    );

    // The index plan beside the previous modeller's, same server, same statistics shaping.
    const previous = await previousModeller();
    try {
      const modellers = [previous.modeller, currentModeller];
      const server = await database();
      for (const file of ['ecommerce.yaml', 'saas.yaml', 'metrics.yaml', 'helpdesk.yaml']) {
        const text = readFileSync(join(__dirname, '../examples', file), 'utf8');
        const results = [];
        for (const modeller of modellers)
          results.push({
            label: modeller.label,
            figures: await indexFigures(await modeller.model(text, file), server),
          });
        printIndexFigures(file, results);
      }
      console.log(
        "\nIndex figures: statistics shaped to the spec's volumes for both modellers' designs; used: indexes some read pattern's generic plan reads; size: every index once each table holds its sample rows; cost: the generic plan's total cost.",
      );
    } finally {
      previous.remove();
    }
  } finally {
    await admin.end();
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
