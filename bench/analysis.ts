/**
 * `npm run bench:analysis`: introspection plus findings on MusicBrainz (519 tables, 1,101 indexes)
 * and on a generated 2,000-table schema, against @pgkit/schemainspect reading the same databases
 * (structure only) as the baseline; and the diff that creates each schema on an empty database, ours
 * beside migra alone. Prints figures; asserts nothing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgreSQL } from '@pgkit/schemainspect';
import { Client } from 'pg';
import { analyzeCatalog } from '../activities/analysis/analyze';
import { fingerprint, introspect } from '../postgres/introspection';
import { closedSchemaDiff } from '../activities/modeling/migra-gaps';
import { schemaDiff } from '../postgres/shadow';
import { freePort } from '../stack/ports';
import { startEmbeddedPostgres } from '../stack/postgres';
import { FIXTURES_DIR } from '../test/support/fixtures';

const RUNS = 5;

/** A schema shaped like a big application: keys, foreign keys, a few indexes and the usual mistakes. */
function generatedSchema(tables: number): string {
  const statements: string[] = [];
  for (let schema = 0; schema < 4; schema++) statements.push(`CREATE SCHEMA app${schema};`);
  for (let n = 0; n < tables; n++) {
    const name = `app${n % 4}.t${n}`;
    const parent = n > 0 ? `app${(n - 1) % 4}.t${n - 1}` : null;
    statements.push(`CREATE TABLE ${name} (
      id ${n % 3 === 0 ? 'serial' : 'bigint GENERATED ALWAYS AS IDENTITY'} PRIMARY KEY,
      ${parent ? `parent_id int REFERENCES ${parent},` : ''}
      code varchar(40) NOT NULL, title text, payload ${n % 10 === 0 ? 'json' : 'jsonb'},
      created_at ${n % 2 === 0 ? 'timestamp' : 'timestamptz'} NOT NULL DEFAULT now(), amount numeric(12, 2) CHECK (amount >= 0),
      state text NOT NULL DEFAULT 'new');`);
    statements.push(`CREATE UNIQUE INDEX t${n}_code ON ${name} (code);`);
    statements.push(`CREATE INDEX t${n}_state_created ON ${name} (state, created_at) WHERE state <> 'done';`);
    if (n % 5 === 0)
      statements.push(
        `CREATE INDEX t${n}_created ON ${name} (created_at); CREATE INDEX t${n}_created_title ON ${name} (created_at, title);`,
      );
  }
  return statements.join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function measure(label: string, url: string, emptyUrl: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const introspection: number[] = [];
  const findings: number[] = [];
  const fingerprinting: number[] = [];
  const baseline: number[] = [];
  let summary = '';
  for (let run = 0; run < RUNS; run++) {
    const read = await time(() => introspect(client));
    const found = await time(() => analyzeCatalog(read.value));
    const hashed = await time(() => fingerprint(read.value));
    introspection.push(read.ms);
    findings.push(found.ms);
    fingerprinting.push(hashed.ms);
    const indexes =
      read.value.tables.reduce((n, t) => n + t.indexes.length, 0) +
      read.value.views.reduce((n, v) => n + v.indexes.length, 0);
    summary = `${read.value.tables.length} tables, ${indexes} indexes, ${found.value.length} findings`;
  }
  // The library we compared with: structure only (no statistics, sizes or sequence values).
  const log = console.log;
  console.log = () => undefined; // pg-promise underneath logs a warning about its second connection object on every call
  try {
    for (let run = 0; run < RUNS; run++) baseline.push((await time(() => PostgreSQL.create(url))).ms);
  } finally {
    console.log = log;
  }
  // The diff that creates the whole schema on an empty database: ours (migra with its gaps closed, both catalogs read), and migra alone.
  const emptyClient = new Client({ connectionString: emptyUrl });
  await emptyClient.connect();
  const emptyCatalog = await introspect(emptyClient);
  await emptyClient.end();
  const diffs: number[] = [];
  const migraAlone: number[] = [];
  let statements = 0;
  for (let run = 0; run < 3; run++) {
    const ours = await time(async () =>
      closedSchemaDiff({ url: emptyUrl, catalog: emptyCatalog }, { url, catalog: await introspect(client) }),
    );
    diffs.push(ours.ms);
    statements = ours.value.length;
    migraAlone.push((await time(() => schemaDiff(emptyUrl, url))).ms);
  }
  await client.end();
  const total = median(introspection) + median(findings);
  console.log(`\n${label}: ${summary} (median of ${RUNS} runs)`);
  console.log(`  introspect             ${median(introspection).toFixed(0).padStart(6)} ms`);
  console.log(`  findings               ${median(findings).toFixed(0).padStart(6)} ms`);
  console.log(`  fingerprint            ${median(fingerprinting).toFixed(0).padStart(6)} ms`);
  console.log(`  introspect + findings  ${total.toFixed(0).padStart(6)} ms   (aim: under 1000 ms on MusicBrainz)`);
  console.log(`  baseline: @pgkit/schemainspect structure only ${median(baseline).toFixed(0).padStart(6)} ms`);
  console.log(
    `  diff empty → schema    ${median(diffs).toFixed(0).padStart(6)} ms (${statements} statements; migra alone ${median(migraAlone).toFixed(0)} ms, ratio ${(median(diffs) / median(migraAlone)).toFixed(2)}x)`,
  );
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'schemawright-bench-'));
  chmodSync(root, 0o755); // PostgreSQL runs as the postgres account when we are root
  const postgres = await startEmbeddedPostgres({
    dataDir: join(root, 'postgres'),
    port: await freePort(),
    persistent: false,
    throwaway: true,
    logFile: join(root, 'postgres.log'),
  });
  try {
    const admin = new Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    const urlOf = (name: string) => postgres.adminUrl.replace(/\/postgres$/, `/${name}`);
    for (const name of ['musicbrainz', 'generated', 'empty']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();

    const load = async (name: string, sql: string) => {
      const client = new Client({ connectionString: urlOf(name) });
      await client.connect();
      const loaded = await time(async () => {
        await client.query(sql);
        await client.query('ANALYZE');
      });
      await client.end();
      console.log(`loaded ${name} in ${(loaded.ms / 1000).toFixed(1)} s`);
    };
    await load('musicbrainz', readFileSync(join(FIXTURES_DIR, 'musicbrainz/musicbrainz-schema.concat.sql'), 'utf8'));
    await load('generated', generatedSchema(2000));

    await measure('MusicBrainz', urlOf('musicbrainz'), urlOf('empty'));
    await measure('Generated 2,000 tables', urlOf('generated'), urlOf('empty'));
  } finally {
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
