/**
 * npm run bench:apply — all 84 Marquez migrations through the runner (history rows, apply lock,
 * lock_timeout, one transaction per step) against the same SQL through plain `pg` (one transaction
 * per file, V47 alone), in the same run on the same server; then the audit log: appends per second
 * with and without a signed checkpoint after each, and `audit verify` over 100,000 entries with their
 * checkpoints beside the chain alone; and the 84 migrations through a TCP proxy, uninterrupted and
 * with every connection cut every 5 seconds, with the steps repeated and lost. Prints figures,
 * asserts nothing.
 */
import { Client, type Pool } from 'pg';
import { applyMigrations, importMigrations } from '../activities/apply';
import type { Migration } from '../artifacts/migration';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { AUDIT_GENESIS_HASH, appendAudit, auditEntryHash, verifyAudit } from '../store/audit';
import { MARQUEZ_DIR } from '../test/support/fixtures';
import { verifyAnchoredAudit, writeCheckpoints } from '../store/audit-checkpoints';
import { parseAuditKey } from '../store/audit-key';
import { createStorePool, databaseUrl, ensureDatabase } from '../store/database';
import { setupStore } from '../store/least-privilege';
import { startBenchStack } from './support/stack';
import { startTcpProxy, throughProxy, type TcpProxy } from '../test/faults/tcp-proxy';

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
    parse.migrations = await importMigrations(MARQUEZ_DIR);
  });
  const { migrations } = parse;
  const steps = migrations.reduce((n, m) => n + m.steps.length, 0);
  const plain: number[] = [];
  const runner: number[] = [];
  // Alternate the two so that a busy neighbour on the machine weighs on both alike.
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await seconds(async () => plainPg(await ensureDatabase(adminUrl, `plain_${round}`), migrations)));
    const url = await ensureDatabase(adminUrl, `runner_${round}`);
    runner.push(
      await seconds(() =>
        applyMigrations({ name: 'marquez', connectionString: url }, migrations, {
          requestId: 'bench',
          decidedBy: ['bench'],
        }),
      ),
    );
  }
  const resume = await seconds(() =>
    applyMigrations({ name: 'marquez', connectionString: databaseUrl(adminUrl, 'runner_0') }, migrations, {
      requestId: 'bench',
      decidedBy: ['bench'],
    }),
  );
  console.log(
    `Marquez: ${migrations.length} migrations, ${steps} steps (median of ${ROUNDS} rounds, each on a fresh database)`,
  );
  console.log(`  import (read + parse + cut into steps)  ${importSeconds.toFixed(2)} s`);
  console.log(
    `  plain pg (one transaction per file)     ${median(plain).toFixed(2)} s   rounds: ${plain.map((s) => s.toFixed(2)).join(', ')}`,
  );
  console.log(
    `  runner (history, locks, timeouts)       ${median(runner).toFixed(2)} s   rounds: ${runner.map((s) => s.toFixed(2)).join(', ')}`,
  );
  console.log(`  ratio runner / plain pg: ${(median(runner) / median(plain)).toFixed(2)}x the time`);
  console.log(`  resume with everything applied (checks only): ${resume.toFixed(2)} s`);
  await benchCuts(adminUrl, migrations);
}

const CUT_EVERY_MS = 5_000;
/**
 * One way, so 20 ms a round trip: a target across a network, as most are. On the same host the 84
 * migrations take well under a second and no cut would land.
 */
const NETWORK_DELAY_MS = 10;

/** One run of the runner through the proxy, cutting every connection every `cutEveryMs` (0: never). */
async function throughCuts(
  url: string,
  proxy: TcpProxy,
  migrations: Migration[],
  cutEveryMs: number,
): Promise<{ seconds: number; cuts: number; reconnects: number; repeated: number; lost: number }> {
  const said = new Map<string, number>();
  let cuts = 0;
  let reconnects = 0;
  const timer = cutEveryMs ? setInterval(() => (cuts += proxy.cut() > 0 ? 1 : 0), cutEveryMs) : undefined;
  const took = await seconds(() =>
    applyMigrations({ name: 'marquez', connectionString: throughProxy(url, proxy) }, migrations, {
      requestId: 'bench-cuts',
      decidedBy: ['bench'],
      onProgress: (event) => {
        if (event.status === 'applied') {
          const key = `${event.version}/${event.step}`;
          said.set(key, (said.get(key) ?? 0) + 1);
        }
        if (event.status === 'retrying' && event.detail?.startsWith('the connection to the target was lost'))
          reconnects += 1;
      },
    }).finally(() => clearInterval(timer)),
  );
  // Lost: a step the target's history does not hold as applied, or that the runner never said it applied (the audit would miss it).
  const client = new Client({ connectionString: url });
  await client.connect();
  const recorded = new Set(
    (
      await client.query<{ key: string }>(
        `SELECT version || '/' || step AS key FROM schemawright.migration_history WHERE status = 'applied'`,
      )
    ).rows.map((r) => r.key),
  );
  await client.end();
  const keys = migrations.flatMap((m) => m.steps.map((s) => `${m.version}/${s.name}`));
  return {
    seconds: took,
    cuts,
    reconnects,
    repeated: [...said.values()].reduce((n, times) => n + times - 1, 0),
    lost: keys.filter((key) => !recorded.has(key) || !said.has(key)).length,
  };
}

async function benchCuts(adminUrl: string, migrations: Migration[]): Promise<void> {
  const proxy = await startTcpProxy({
    host: '127.0.0.1',
    port: Number(new URL(adminUrl).port),
    delayMs: NETWORK_DELAY_MS,
  });
  try {
    const calm = await throughCuts(await ensureDatabase(adminUrl, 'cuts_none'), proxy, migrations, 0);
    const cut = await throughCuts(await ensureDatabase(adminUrl, 'cuts_every_5s'), proxy, migrations, CUT_EVERY_MS);
    console.log(
      `Marquez through a TCP proxy adding ${2 * NETWORK_DELAY_MS} ms a round trip, the connection cut every ${CUT_EVERY_MS / 1000} s (same run, same server):`,
    );
    console.log(`  uninterrupted                 ${calm.seconds.toFixed(2)} s`);
    console.log(
      `  cut every ${CUT_EVERY_MS / 1000} s               ${cut.seconds.toFixed(2)} s   (${cut.cuts} cuts, ${cut.reconnects} reconnects)`,
    );
    console.log(
      `  steps repeated: ${cut.repeated}   steps lost: ${cut.lost}   (uninterrupted: ${calm.repeated}, ${calm.lost})`,
    );
  } finally {
    await proxy.close();
  }
}

/** The append of before the store's roles: the same chaining, a plain INSERT by a superuser. */
async function appendDirectly(admin: Pool, i: number): Promise<void> {
  const client = await admin.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [0x5357_0002]);
    const prevHash =
      (await client.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0]?.hash ??
      AUDIT_GENESIS_HASH;
    const entry = {
      at: new Date(),
      kind: 'reminder',
      requestId: `d${i % 50}`,
      target: 'bench',
      actor: 'bench',
      channel: null,
      data: { i },
      prevHash,
    };
    await client.query(
      'INSERT INTO audit_log (at, kind, request_id, target, actor, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        entry.at,
        entry.kind,
        entry.requestId,
        entry.target,
        entry.actor,
        JSON.stringify(entry.data),
        prevHash,
        auditEntryHash(entry),
      ],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function benchAudit(adminUrl: string): Promise<void> {
  const storeUrl = await ensureDatabase(adminUrl, 'store');
  // The application role appends, checkpoints and verifies, as workers do; the superuser fills the log in bulk.
  const pool = createStorePool((await setupStore(storeUrl, randomBytes(12).toString('hex'))).appUrl, 'bench');
  const admin = createStorePool(storeUrl, 'bench-admin');
  const key = parseAuditKey(
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const appends = 2_000;
  // Baseline: what appending was before the roles, a superuser inserting into the table itself.
  const directSeconds = await seconds(async () => {
    for (let i = 0; i < appends; i++) await appendDirectly(admin, i);
  });
  const appendSeconds = await seconds(async () => {
    for (let i = 0; i < appends; i++)
      await appendAudit(pool, {
        kind: 'reminder',
        requestId: `r${i % 50}`,
        target: 'bench',
        actor: 'bench',
        data: { i },
      });
  });
  // Anchored: the same appends, each followed by a checkpoint, as at a request's end (the worst case; the minute's tick is rarer).
  const checkpointedAppends = 500;
  const checkpointedSeconds = await seconds(async () => {
    for (let i = 0; i < checkpointedAppends; i++) {
      await appendAudit(pool, { kind: 'completed', requestId: `c${i}`, target: 'bench', actor: 'bench', data: { i } });
      await writeCheckpoints(pool, key);
    }
  });
  // The rest written in bulk, chained the same way, so the bench does not take minutes to fill.
  let prev =
    (await admin.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0]?.hash ??
    AUDIT_GENESIS_HASH;
  const at = new Date();
  const filled = 2 * appends + checkpointedAppends;
  for (let done = filled; done < AUDIT_ENTRIES; ) {
    const batch = Math.min(5_000, AUDIT_ENTRIES - done);
    const rows = Array.from({ length: batch }, (_, j) => {
      const entry = {
        at,
        kind: 'decision',
        requestId: `r${(done + j) % 500}`,
        target: 'bench',
        actor: 'ann',
        channel: 'web',
        data: { option: 'apply', comment: `entry ${done + j}` },
        prevHash: prev,
      };
      prev = auditEntryHash(entry);
      return { ...entry, hash: prev };
    });
    await admin.query(
      `INSERT INTO audit_log (at, kind, request_id, target, actor, channel, data, prev_hash, hash)
       SELECT $1, $2, r, 'bench', 'ann', 'web', d::jsonb, p, h FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(r, d, p, h, n) ORDER BY n`,
      [
        at,
        'decision',
        rows.map((r) => r.requestId),
        rows.map((r) => JSON.stringify(r.data)),
        rows.map((r) => r.prevHash),
        rows.map((r) => r.hash),
      ],
    );
    done += batch;
  }
  const backlog = AUDIT_ENTRIES - filled;
  const checkpointSeconds = await seconds(() => writeCheckpoints(pool, key));
  const checkpoints = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_checkpoints')).rows[0].n;
  let chain = { ok: false, entries: 0 };
  const chainSeconds = await seconds(async () => {
    chain = await verifyAudit(pool);
  });
  let anchored = { ok: false, entries: 0 };
  const anchoredSeconds = await seconds(async () => {
    anchored = await verifyAnchoredAudit(pool, key, 'not read');
  });
  await Promise.all([pool.end(), admin.end()]);
  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');
  console.log(`Audit log (as the application role, through audit_append):`);
  console.log(
    `  append as a superuser, INSERT (baseline):  ${appends} in ${directSeconds.toFixed(2)} s = ${rate(appends, directSeconds)} appends/s`,
  );
  console.log(
    `  append through audit_append, unanchored:   ${appends} in ${appendSeconds.toFixed(2)} s = ${rate(appends, appendSeconds)} appends/s`,
  );
  console.log(
    `  append + signed checkpoint after each one: ${checkpointedAppends} in ${checkpointedSeconds.toFixed(2)} s = ${rate(checkpointedAppends, checkpointedSeconds)} appends/s`,
  );
  console.log(
    `  checkpointing a backlog of ${backlog.toLocaleString('en')} entries: ${checkpointSeconds.toFixed(2)} s = ${rate(backlog, checkpointSeconds)} entries/s (${checkpoints} checkpoints in all)`,
  );
  console.log(
    `  audit verify over ${chain.entries.toLocaleString('en')} entries, chain only (baseline): ${chainSeconds.toFixed(2)} s = ${rate(chain.entries, chainSeconds)} entries/s, ${chain.ok ? 'intact' : 'BROKEN'}`,
  );
  console.log(
    `  audit verify over ${anchored.entries.toLocaleString('en')} entries, with ${checkpoints} checkpoints:  ${anchoredSeconds.toFixed(2)} s = ${rate(anchored.entries, anchoredSeconds)} entries/s, ${anchored.ok ? 'intact' : 'BROKEN'}`,
  );
  console.log(`  ratio anchored / chain only: ${(anchoredSeconds / chainSeconds).toFixed(2)}x the time`);
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
