/**
 * npm run bench:apply — all 84 Marquez migrations through the runner (history rows, apply lock,
 * lock_timeout, one transaction per step) against the same SQL through plain `pg` (one transaction
 * per file, V47 alone), in the same run on the same server; then `audit verify` over 100,000
 * entries, and appends per second. Prints figures, asserts nothing.
 */
import { Client } from 'pg';
import { applyMigrations, importMigrations } from '../activities/apply';
import type { Migration } from '../artifacts/migration';
import { AUDIT_GENESIS_HASH, appendAudit, auditEntryHash, verifyAudit } from '../store/audit';
import { createStorePool, databaseUrl, ensureDatabase, migrateStore } from '../store/database';
import { startBenchStack } from './support/stack';

const MARQUEZ = '/work/shared/data/migrations/marquez';
const ROUNDS = 3;
const AUDIT_ENTRIES = 100_000;

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The baseline: each file's steps as they are, committed per file, nothing recorded. */
async function plainPg(url: string, migrations: Migration[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  for (const migration of migrations) {
    const transactional = migration.steps.every((s) => s.kind === 'transactional');
    if (transactional) await client.query('BEGIN');
    for (const step of migration.steps) await client.query(step.sql);
    if (transactional) await client.query('COMMIT');
  }
  await client.end();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function benchMarquez(adminUrl: string): Promise<void> {
  const parse = { migrations: [] as Migration[] };
  const importSeconds = await seconds(async () => {
    parse.migrations = await importMigrations(MARQUEZ);
  });
  const { migrations } = parse;
  const steps = migrations.reduce((n, m) => n + m.steps.length, 0);
  const plain: number[] = [];
  const runner: number[] = [];
  // Alternate the two so that a busy neighbour on the machine weighs on both alike.
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await seconds(async () => plainPg(await ensureDatabase(adminUrl, `plain_${round}`), migrations)));
    const url = await ensureDatabase(adminUrl, `runner_${round}`);
    runner.push(await seconds(() => applyMigrations({ name: 'marquez', connectionString: url }, migrations, { requestId: 'bench', decidedBy: ['bench'] })));
  }
  const resume = await seconds(() => applyMigrations({ name: 'marquez', connectionString: databaseUrl(adminUrl, 'runner_0') }, migrations, { requestId: 'bench', decidedBy: ['bench'] }));
  console.log(`Marquez: ${migrations.length} migrations, ${steps} steps (median of ${ROUNDS} rounds, each on a fresh database)`);
  console.log(`  import (read + parse + cut into steps)  ${importSeconds.toFixed(2)} s`);
  console.log(`  plain pg (one transaction per file)     ${median(plain).toFixed(2)} s   rounds: ${plain.map((s) => s.toFixed(2)).join(', ')}`);
  console.log(`  runner (history, locks, timeouts)       ${median(runner).toFixed(2)} s   rounds: ${runner.map((s) => s.toFixed(2)).join(', ')}`);
  console.log(`  ratio runner / plain pg: ${(median(runner) / median(plain)).toFixed(2)}x the time`);
  console.log(`  resume with everything applied (checks only): ${resume.toFixed(2)} s`);
}

async function benchAudit(adminUrl: string): Promise<void> {
  const pool = createStorePool(await ensureDatabase(adminUrl, 'store'), 'bench');
  await migrateStore(pool);
  const appends = 2_000;
  const appendSeconds = await seconds(async () => {
    for (let i = 0; i < appends; i++) await appendAudit(pool, { kind: 'reminder', requestId: `r${i % 50}`, target: 'bench', actor: 'bench', data: { i } });
  });
  // The rest written in bulk, chained the same way, so the bench does not take minutes to fill.
  let prev = (await pool.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0]?.hash ?? AUDIT_GENESIS_HASH;
  const at = new Date();
  for (let done = appends; done < AUDIT_ENTRIES; ) {
    const batch = Math.min(5_000, AUDIT_ENTRIES - done);
    const rows = Array.from({ length: batch }, (_, j) => {
      const entry = { at, kind: 'decision', requestId: `r${(done + j) % 500}`, target: 'bench', actor: 'ann', channel: 'web', data: { option: 'apply', comment: `entry ${done + j}` }, prevHash: prev };
      prev = auditEntryHash(entry);
      return { ...entry, hash: prev };
    });
    await pool.query(
      `INSERT INTO audit_log (at, kind, request_id, target, actor, channel, data, prev_hash, hash)
       SELECT $1, $2, r, 'bench', 'ann', 'web', d::jsonb, p, h FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(r, d, p, h, n) ORDER BY n`,
      [at, 'decision', rows.map((r) => r.requestId), rows.map((r) => JSON.stringify(r.data)), rows.map((r) => r.prevHash), rows.map((r) => r.hash)],
    );
    done += batch;
  }
  let result = { ok: false, entries: 0 };
  const verifySeconds = await seconds(async () => {
    result = await verifyAudit(pool);
  });
  await pool.end();
  console.log(`Audit log: ${appends} appends one by one in ${appendSeconds.toFixed(2)} s = ${Math.round(appends / appendSeconds).toLocaleString('en')} appends/s (each a transaction under the append lock)`);
  console.log(`  audit verify over ${result.entries.toLocaleString('en')} entries: ${verifySeconds.toFixed(2)} s = ${Math.round(result.entries / verifySeconds).toLocaleString('en')} entries/s, ${result.ok ? 'intact' : 'BROKEN'}`);
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  try {
    await benchMarquez(stack.postgres.adminUrl);
    await benchAudit(stack.postgres.adminUrl);
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
