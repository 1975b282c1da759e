/**
 * npm run bench:review — statements per second of the review (parse + squawk + our rules + lock model) against
 * squawk alone on the same input, in the same run; and shadow verification on Pagila and
 * MusicBrainz (the sandbox copy and the whole verification) beside the old in-cluster copy.
 * Prints figures, asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { readMigrationFiles, type MigrationFile } from '../artifacts/migration-files';
import { parseStatements } from '../postgres/parse';
import { parsePgVersion } from '../postgres/pg-version';
import { runRules } from '../activities/review/rules';
import { lockImpactsOf } from '../activities/review/locks';
import { reviewMigration } from '../activities/review/review';
import { applyInDependencyOrder, schemaDiff, verifyOnShadow } from '../postgres/shadow';
import { copyTargetSchema } from '../postgres/shadow-copy';
import { stopShadowServer, withSandboxDatabase } from '../stack/shadow-server';
import { squawkArguments, SQUAWK_BIN } from '../activities/review/lint/squawk';
import { databaseUrl } from '../store/database';
import { freePort } from '../stack/ports';
import { startEmbeddedPostgres } from '../stack/postgres';
import { FIXTURES_DIR, LEMMY_DIR } from '../test/support/fixtures';

const PG = parsePgVersion('18');

async function time<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await run();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** squawk alone, as a CI job would run it: one process over the files. */
function squawkAlone(files: MigrationFile[], dir: string): void {
  const paths = files.map((f, i) => {
    const path = join(dir, `${String(i).padStart(4, '0')}.sql`);
    writeFileSync(path, f.up);
    return path;
  });
  spawnSync(SQUAWK_BIN, [...squawkArguments(PG), ...paths], { maxBuffer: 1 << 30 });
}

async function benchInput(label: string, files: MigrationFile[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-squawk-'));
  try {
    const statements = (await Promise.all(files.map((f) => parseStatements(f.up, f.path)))).reduce(
      (n, s) => n + s.length,
      0,
    );
    const parseOnly = await time(async () => {
      for (const f of files) await parseStatements(f.up, f.path);
    });
    const rulesOnly = await time(async () => {
      for (const f of files)
        runRules(await parseStatements(f.up, f.path), {
          pgVersion: PG,
          down: f.down === undefined ? undefined : await parseStatements(f.down),
        });
    });
    const lockModel = await time(async () => {
      for (const f of files) lockImpactsOf(await parseStatements(f.up, f.path), { pgVersion: PG });
    });
    const review = await time(() => reviewMigration({ files, pgVersion: '18' }));
    const squawk = await time(async () => squawkAlone(files, dir));
    const rate = (s: number) => Math.round(statements / s).toLocaleString('en');
    console.log(`\n${label}: ${files.length} file(s), ${statements} statements (up)`);
    console.log(
      `  parse only                     ${parseOnly.seconds.toFixed(2)} s  ${rate(parseOnly.seconds)} stmt/s`,
    );
    console.log(
      `  parse + our rules (+ downs)    ${rulesOnly.seconds.toFixed(2)} s  ${rate(rulesOnly.seconds)} stmt/s`,
    );
    console.log(
      `  parse + lock model             ${lockModel.seconds.toFixed(2)} s  ${rate(lockModel.seconds)} stmt/s`,
    );
    console.log(
      `  full review (parse+squawk+rules+lock model) ${review.seconds.toFixed(2)} s  ${rate(review.seconds)} stmt/s  (${review.value.findings.length} findings)`,
    );
    console.log(`  squawk alone (one process)     ${squawk.seconds.toFixed(2)} s  ${rate(squawk.seconds)} stmt/s`);
    console.log(`  ratio full review / squawk alone: ${(review.seconds / squawk.seconds).toFixed(2)}x the time`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The old in-cluster copy, kept here only as the baseline: migra's diff applied to a new database on the target's own server. */
async function oldInClusterCopy(adminUrl: string, targetUrl: string): Promise<number> {
  const name = `sw_old_shadow_${Date.now()}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const shadowUrl = databaseUrl(adminUrl, name);
    return (await applyInDependencyOrder(shadowUrl, await schemaDiff(shadowUrl, targetUrl))).length;
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function loadTarget(adminUrl: string, name: string, files: string[]): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(adminUrl, name);
  const target = new Client({ connectionString: url });
  await target.connect();
  for (const file of files) await target.query(readFileSync(join(FIXTURES_DIR, file), 'utf8'));
  await target.end();
  return url;
}

async function benchShadow(): Promise<void> {
  delete process.env.SCHEMAWRIGHT_SHADOW_URL; // the default: this process's own shadow server
  const root = mkdtempSync(join(tmpdir(), 'sw-bench-review-'));
  chmodSync(root, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: join(root, 'data'),
    port: await freePort(),
    persistent: false,
    logFile: join(root, 'pg.log'),
    throwaway: true,
  });
  try {
    const start = await time(() => withSandboxDatabase(async () => undefined));
    console.log(`\nShadow server start (once per worker, lazily): ${start.seconds.toFixed(2)} s`);
    const inputs = [
      {
        label: 'Pagila',
        name: 'pagila',
        files: ['pagila/pagila-schema.sql'],
        migration: {
          name: 'add_rental_notes',
          up: 'ALTER TABLE public.rental ADD COLUMN notes text;\nCREATE INDEX CONCURRENTLY rental_notes ON public.rental (notes);',
          down: 'DROP INDEX CONCURRENTLY public.rental_notes;\nALTER TABLE public.rental DROP COLUMN notes;',
        },
      },
      {
        label: 'MusicBrainz',
        name: 'musicbrainz',
        files: ['musicbrainz/musicbrainz-schema.concat.sql'],
        migration: {
          name: 'add_artist_notes',
          up: 'ALTER TABLE musicbrainz.artist ADD COLUMN notes text;\nCREATE INDEX CONCURRENTLY artist_notes ON musicbrainz.artist (notes);',
          down: 'DROP INDEX CONCURRENTLY musicbrainz.artist_notes;\nALTER TABLE musicbrainz.artist DROP COLUMN notes;',
        },
      },
    ];
    for (const input of inputs) {
      const url = await loadTarget(pg.adminUrl, input.name, input.files);
      const copy = await time(() => withSandboxDatabase((sandbox) => copyTargetSchema(url, sandbox)));
      const whole = await time(() => verifyOnShadow(url, [input.migration]));
      const old = await time(() => oldInClusterCopy(pg.adminUrl, url));
      console.log(`\nShadow verification on ${input.label}:`);
      console.log(
        `  copy (pg_dump + restore into the sandbox)   ${copy.seconds.toFixed(2)} s, ${copy.value.gaps.length} object(s) not reproduced`,
      );
      console.log(
        `  whole verification (copy, up, down, up)     ${whole.seconds.toFixed(2)} s, ${whole.value.findings.length} finding(s), ${whole.value.copyGaps.length} object(s) not reproduced`,
      );
      console.log(
        `  baseline: old in-cluster copy (migra)       ${old.seconds.toFixed(2)} s, ${old.value} statement(s) it could not apply`,
      );
      for (const gap of whole.value.copyGaps)
        console.log(`    not reproduced: ${gap.object} (${String(gap.evidence?.error)})`);
    }
  } finally {
    await stopShadowServer();
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const musicbrainz = readFileSync(join(FIXTURES_DIR, 'musicbrainz/musicbrainz-schema.concat.sql'), 'utf8');
  await benchInput('MusicBrainz schema (concatenated)', [{ path: 'musicbrainz-schema.concat.sql', up: musicbrainz }]);
  await benchInput('Lemmy migrations', readMigrationFiles(LEMMY_DIR));
  await benchShadow();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
