/**
 * npm run bench:review — statements per second of the review (parse + squawk + our rules + lock model) against
 * squawk alone on the same input, in the same run; and the time of one shadow verification on
 * Pagila. Prints figures, asserts nothing.
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
import { verifyOnShadow } from '../postgres/shadow';
import { squawkArguments, SQUAWK_BIN } from '../activities/review/lint/squawk';
import { databaseUrl } from '../store/database';
import { freePort } from '../stack/ports';
import { startEmbeddedPostgres } from '../stack/postgres';

const DATA = '/work/shared/data';
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
    const statements = (await Promise.all(files.map((f) => parseStatements(f.up, f.path)))).reduce((n, s) => n + s.length, 0);
    const parseOnly = await time(async () => {
      for (const f of files) await parseStatements(f.up, f.path);
    });
    const rulesOnly = await time(async () => {
      for (const f of files) runRules(await parseStatements(f.up, f.path), { pgVersion: PG, down: f.down === undefined ? undefined : await parseStatements(f.down) });
    });
    const lockModel = await time(async () => {
      for (const f of files) lockImpactsOf(await parseStatements(f.up, f.path), { pgVersion: PG });
    });
    const review = await time(() => reviewMigration({ files, pgVersion: '18' }));
    const squawk = await time(async () => squawkAlone(files, dir));
    const rate = (s: number) => Math.round(statements / s).toLocaleString('en');
    console.log(`\n${label}: ${files.length} file(s), ${statements} statements (up)`);
    console.log(`  parse only                     ${parseOnly.seconds.toFixed(2)} s  ${rate(parseOnly.seconds)} stmt/s`);
    console.log(`  parse + our rules (+ downs)    ${rulesOnly.seconds.toFixed(2)} s  ${rate(rulesOnly.seconds)} stmt/s`);
    console.log(`  parse + lock model             ${lockModel.seconds.toFixed(2)} s  ${rate(lockModel.seconds)} stmt/s`);
    console.log(`  full review (parse+squawk+rules+lock model) ${review.seconds.toFixed(2)} s  ${rate(review.seconds)} stmt/s  (${review.value.findings.length} findings)`);
    console.log(`  squawk alone (one process)     ${squawk.seconds.toFixed(2)} s  ${rate(squawk.seconds)} stmt/s`);
    console.log(`  ratio full review / squawk alone: ${(review.seconds / squawk.seconds).toFixed(2)}x the time`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchShadow(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sw-bench-review-'));
  chmodSync(root, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: join(root, 'data'), port: await freePort(), persistent: false, logFile: join(root, 'pg.log'), throwaway: true });
  try {
    const admin = new Client({ connectionString: pg.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE pagila');
    await admin.end();
    const url = databaseUrl(pg.adminUrl, 'pagila');
    const target = new Client({ connectionString: url });
    await target.connect();
    await target.query(readFileSync(join(DATA, 'pagila/pagila-schema.sql'), 'utf8'));
    await target.end();
    const migration = {
      name: 'add_rental_notes',
      up: 'ALTER TABLE public.rental ADD COLUMN notes text;\nCREATE INDEX CONCURRENTLY rental_notes ON public.rental (notes);',
      down: 'DROP INDEX CONCURRENTLY public.rental_notes;\nALTER TABLE public.rental DROP COLUMN notes;',
    };
    const result = await time(() => verifyOnShadow(url, [migration]));
    console.log(`\nShadow verification on Pagila (copy schema, up, down, fingerprint, up again): ${result.seconds.toFixed(2)} s, ${result.value.findings.length} finding(s), ${result.value.copyGaps.length} object(s) the schema copy could not reproduce`);
    for (const gap of result.value.copyGaps) console.log(`  not copied: ${gap.error}`);
  } finally {
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const musicbrainz = readFileSync(join(DATA, 'musicbrainz/musicbrainz-schema.concat.sql'), 'utf8');
  await benchInput('MusicBrainz schema (concatenated)', [{ path: 'musicbrainz-schema.concat.sql', up: musicbrainz }]);
  await benchInput('Lemmy migrations', readMigrationFiles(join(DATA, 'migrations/lemmy')));
  await benchShadow();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
