import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { decideRequest, startRequest, type KickoffRequest } from '../approvals/requests';
import { getArtifact } from '../store/artifacts';
import { connectTemporal, createTestStore, testStack, uniqueName, type TemporalConnections } from './support/stack';
import { atGate, ended, querySql, requestHarness, runSql, statusWhen, type RequestHarness } from './support/requests';

/**
 * The attack of issue 13: a requester submits a change that creates a role, writes a file through
 * COPY TO PROGRAM and reads a server file in a DO block. Before approval none of it may happen
 * anywhere; the approvers are asked SW-ESC-PRIVILEGED with the statements as written.
 */
describe('privileged statements in a request are a question, not an experiment', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  const harnesses: RequestHarness[] = [];
  const roles: string[] = [];
  let dir: string;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    // The database server runs as its own OS user: it must be able to read the secret and write beside it.
    dir = mkdtempSync(join(tmpdir(), 'sw-privileged-'));
    chmodSync(dir, 0o777);
  });
  afterAll(async () => {
    for (const harness of harnesses) await harness.close();
    for (const role of roles) await runSql(testStack().postgresAdminUrl, `DROP ROLE IF EXISTS ${role}`);
    await store?.close();
    await temporal?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A secret file whose access time is older than its content: reading it moves the access time (relatime). */
  function secretFile(): { path: string; readSince(): boolean } {
    const path = join(dir, uniqueName('secret'));
    writeFileSync(path, 'the secret', { mode: 0o644 });
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(path, old, new Date());
    return { path, readSince: () => statSync(path).atimeMs !== old.getTime() };
  }

  async function attack(): Promise<{
    harness: RequestHarness;
    requestId: string;
    role: string;
    touched: string;
    secret: ReturnType<typeof secretFile>;
    sql: string[];
  }> {
    const harness = await requestHarness(temporal, store.pool, {
      targetSetup: 'CREATE TABLE orders (id bigint PRIMARY KEY)',
    });
    harnesses.push(harness);
    const role = uniqueName('evil');
    roles.push(role);
    const touched = join(dir, uniqueName('touched'));
    const secret = secretFile();
    const sql = [
      'CREATE TABLE loot (body text)',
      `CREATE ROLE ${role} LOGIN PASSWORD 'x'`,
      `COPY (SELECT 1) TO PROGRAM 'touch ${touched}'`,
      `DO $$ BEGIN INSERT INTO loot SELECT pg_read_file('${secret.path}'); END $$`,
    ];
    const kickoff: KickoffRequest = {
      clientRequestId: uniqueName('req'),
      kind: 'change',
      title: 'add loot',
      target: harness.target.name,
      environment: 'production',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: sql.map((s) => `${s};`).join('\n') },
    };
    const { requestId } = await startRequest(harness.services, kickoff);
    return { harness, requestId, role, touched, secret, sql };
  }

  const roleExists = async (role: string) =>
    (await querySql(testStack().postgresAdminUrl, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;

  it('while the request waits: no role, no file, nothing read; the question shows the statements and the shadow says it skipped them; rejecting runs nothing', async () => {
    const { harness, requestId, role, touched, secret, sql } = await attack();
    const gate = await statusWhen(harness.services, requestId, 'at the gate', atGate, 120_000);

    expect({ role: await roleExists(role), fileWritten: existsSync(touched), secretRead: secret.readSince() }).toEqual({
      role: false,
      fileWritten: false,
      secretRead: false,
    });

    expect(gate.questions.map((q) => [q.id, q.trigger, q.options.map((o) => o.id), q.recommendation.optionId])).toEqual(
      [['SW-ESC-PRIVILEGED:statements', 'SW-ESC-PRIVILEGED', ['apply-as-written', 'reject'], 'reject']],
    );
    const problem = gate.questions[0]!.problem;
    const file = `${requestId}.sql`;
    expect(problem).toContain(
      `3 statement(s) need rights beyond the database or reach outside it. Review ran none of them, not even on the shadow.`,
    );
    expect(problem).toContain('runs them:');
    expect(problem).toContain('SUPERUSER');
    expect(problem).toContain(`${file}:2: ${sql[1]}\n  it creates a role (roles belong to the whole cluster)`);
    expect(problem).toContain(`${file}:3: ${sql[2]}\n  it runs a program on the database server (COPY TO PROGRAM)`);
    expect(problem).toContain(
      `${file}:4: ${sql[3]}\n  it calls or names pg_read_file, which reads or writes the server's files`,
    );

    const report = (await getArtifact(store.pool, gate.artifacts['review-report']!.digest)).content;
    for (const line of [2, 3, 4])
      expect(report).toContain(`### \`${file}:${line}:1\` SW-SHADOW-SKIPPED (schemawright)`);
    expect(report).toContain(
      'The shadow skipped this statement: it creates a role (roles belong to the whole cluster). The verification does not cover it.',
    );
    expect(report).toContain('## Questions for people (1)');

    await decideRequest(harness.services, requestId, {
      questionId: 'SW-ESC-PRIVILEGED:statements',
      optionId: 'reject',
      person: 'ann',
      channel: 'cli',
    });
    const done = await statusWhen(harness.services, requestId, 'done', ended);
    expect(done.state).toBe('rejected');
    expect({ role: await roleExists(role), fileWritten: existsSync(touched), secretRead: secret.readSince() }).toEqual({
      role: false,
      fileWritten: false,
      secretRead: false,
    });
    expect(await querySql(harness.target.url, "SELECT 1 FROM pg_class WHERE relname = 'loot'")).toEqual([]);
  });

  it('applied as written only when people choose it, by the apply role', async () => {
    const { harness, requestId, role, touched, secret } = await attack();
    await statusWhen(harness.services, requestId, 'at the gate', atGate, 120_000);
    expect(secret.readSince()).toBe(false);
    await decideRequest(harness.services, requestId, {
      questionId: 'SW-ESC-PRIVILEGED:statements',
      optionId: 'apply-as-written',
      person: 'ann',
      channel: 'cli',
      comment: 'this test owns the role and the files',
    });
    const done = await statusWhen(harness.services, requestId, 'done', ended, 120_000);
    expect(done.state).toBe('completed');
    expect(await roleExists(role)).toBe(true);
    expect(existsSync(touched)).toBe(true);
    expect(await querySql(harness.target.url, 'SELECT body FROM loot')).toEqual([{ body: 'the secret' }]);
  });
});
