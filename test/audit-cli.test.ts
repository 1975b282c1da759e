import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { appendAudit } from '../store/audit';
import { writeCheckpoints } from '../store/audit-checkpoints';
import { parseAuditKey } from '../store/audit-key';
import { createTestStore, testStack, type TestStore } from './support/stack';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `schemawright audit ...` as a user runs it, against the store at `databaseUrl` (or none). */
function audit(databaseUrl: string | undefined, ...args: string[]): Promise<Run> {
  return auditWith({}, databaseUrl, ...args);
}

function auditWith(extra: NodeJS.ProcessEnv, databaseUrl: string | undefined, ...args: string[]): Promise<Run> {
  const {
    DATABASE_URL: _store,
    TEMPORAL_ADDRESS: _temporal,
    SCHEMAWRIGHT_AUDIT_KEY: _key,
    SCHEMAWRIGHT_AUDIT_PUBLIC_KEY: _public,
    ...inherited
  } = process.env;
  // A home of its own, so no running stack of the developer's is found.
  const env = {
    ...inherited,
    SCHEMAWRIGHT_HOME: mkdtempSync(join(tmpdir(), 'schemawright-home-')),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/schemawright.ts', 'audit', ...args],
      { cwd: join(__dirname, '..'), env },
      (error, stdout, stderr) => {
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('schemawright audit', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
    await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'r1',
      target: 'orders',
      actor: 'rita',
      channel: 'cli',
      data: { title: 'add a note, "quoted"' },
    });
    await appendAudit(store.pool, {
      kind: 'decision',
      requestId: 'r1',
      target: 'orders',
      actor: 'ann',
      channel: 'slack',
      data: { option: 'apply', comment: 'ok | go' },
    });
    await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'r2',
      target: 'billing',
      actor: 'bob',
      channel: 'web',
      data: {},
    });
  });
  afterAll(() => store.close());

  it('filters and prints JSON', async () => {
    const run = await audit(store.appUrl, '--request', 'r1', '--format', 'json');
    expect(run.status).toBe(0);
    const entries = JSON.parse(run.stdout) as { kind: string; actor: string; hash: string }[];
    expect(entries.map((e) => `${e.kind} ${e.actor}`)).toEqual(['request-created rita', 'decision ann']);
    expect(entries[0].hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const byActor = JSON.parse(
      (await audit(store.appUrl, '--actor', 'bob', '--target', 'billing', '--format', 'json')).stdout,
    ) as { requestId: string }[];
    expect(byActor.map((e) => e.requestId)).toEqual(['r2']);
    const none = JSON.parse(
      (await audit(store.appUrl, '--since', '2999-01-01', '--format', 'json')).stdout,
    ) as unknown[];
    expect(none).toEqual([]);
  });

  it('prints a table, Markdown and CSV', async () => {
    const table = await audit(store.appUrl, '--target', 'orders');
    expect(table.stdout.split('\n')[0]).toMatch(/^seq\s+at\s+kind\s+request\s+target\s+actor\s+channel\s+data$/);
    expect(table.stdout).toMatch(/decision\s+r1\s+orders\s+ann\s+slack\s+\{"option":"apply","comment":"ok \| go"\}/);
    const markdown = await audit(store.appUrl, '--target', 'orders', '--format', 'markdown');
    expect(markdown.stdout).toContain('| seq | at | kind | request | target | actor | channel | data |');
    expect(markdown.stdout).toContain(
      '| decision | r1 | orders | ann | slack | `{"option":"apply","comment":"ok \\| go"}` |',
    );
    const csv = await audit(store.appUrl, '--request', 'r1', '--format', 'csv');
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,at,kind,request,target,actor,channel,data,prev_hash,hash');
    expect(lines[1]).toContain(
      ',request-created,r1,orders,rita,cli,"{""title"":""add a note, \\""quoted\\""""}",sha256:',
    );
  });

  it('says what is wrong with a bad option, and when there is no store', async () => {
    expect(await audit(store.appUrl, '--since', 'yesterday')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('--since yesterday is not a date: use ISO 8601'),
    });
    expect(await audit(store.appUrl, '--format', 'xml')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining("unknown --format 'xml'"),
    });
    expect(await audit(undefined)).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('no project store: set DATABASE_URL'),
    });
  });

  it('verify says intact, then names the first entry changed behind its back, with its exit statuses', async () => {
    const key = parseAuditKey(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    await writeCheckpoints(store.pool, key);
    const verifier = { SCHEMAWRIGHT_AUDIT_PUBLIC_KEY: key.text, TEMPORAL_ADDRESS: testStack().temporalAddress };
    expect(await audit(store.appUrl, 'verify')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('no audit key to check the checkpoints with: set SCHEMAWRIGHT_AUDIT_PUBLIC_KEY'),
    });
    const unanchored = await auditWith(verifier, store.appUrl, 'verify');
    expect(unanchored).toMatchObject({
      status: 3,
      stdout: expect.stringContaining(
        'WARNING: the store has checkpoints but the anchor workflow on Temporal has none',
      ),
    });
    const intact = await auditWith(verifier, store.appUrl, 'verify', '--no-anchor');
    expect(intact).toMatchObject({
      status: 0,
      stdout: expect.stringContaining(
        'audit log intact: 3 entries, each chained to the one before it; 1 signed checkpoint(s) in the store agree with it',
      ),
    });
    expect(intact.stdout).toContain(`audit key ${key.id} (public key ${key.text})`);
    await store.admin.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    const { rows } = await store.admin.query<{ seq: string }>(
      `UPDATE audit_log SET actor = 'mallory' WHERE kind = 'decision' RETURNING seq`,
    );
    await store.admin.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    const broken = await auditWith(verifier, store.appUrl, 'verify', '--no-anchor');
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain(`audit log BROKEN at entry ${rows[0].seq}: its content does not match its hash`);
    expect(broken.stdout).toContain('The 1 entry before it is intact.');
  });
});
