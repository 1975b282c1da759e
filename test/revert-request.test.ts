import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { parseTokenKeys } from '../approvals/email/tokens';
import { loadPolicy } from '../approvals/policy';
import { parseApiTokens } from '../approvals/web/http';
import { createWebServer, listen } from '../approvals/web/server';
import { targetVariable } from '../config/targets';
import {
  decideRequest,
  RequestInputError,
  requestStatus,
  startRequest,
  type KickoffRequest,
} from '../approvals/requests';
import { queryAudit } from '../store/audit';
import {
  connectTemporal,
  createTestStore,
  testStack,
  uniqueName,
  type TemporalConnections,
  type TestDatabase,
} from './support/stack';
import { atGate, ended, querySql, requestHarness, statusWhen, type RequestHarness } from './support/requests';

const NOTES = [{ path: '001_notes.up.sql', up: 'CREATE TABLE notes (id int, body text);', down: 'DROP TABLE notes;' }];

function change(target: string, files: unknown = NOTES): KickoffRequest {
  return {
    clientRequestId: uniqueName('req'),
    kind: 'change',
    title: 'notes',
    target,
    environment: 'production',
    requester: 'rita',
    channel: 'cli',
    source: { format: 'migrations', text: JSON.stringify(files) },
  };
}

function revert(reverts: string, reason = 'the release is rolled back'): KickoffRequest {
  return {
    kind: 'revert',
    title: '',
    target: '',
    environment: '',
    requester: 'rita',
    channel: 'cli',
    reverts,
    source: { format: 'revert', text: reason },
  };
}

/** Every open question answered with schemawright's recommendation by approver ann; returns the question ids. */
async function approveAll(services: RequestHarness['services'], requestId: string): Promise<string[]> {
  const view = await statusWhen(services, requestId, 'at the gate', atGate);
  for (const question of view.questions)
    await decideRequest(services, requestId, {
      questionId: question.id,
      optionId: question.recommendation.optionId,
      person: 'ann',
      channel: 'cli',
    });
  return view.questions.map((q) => q.id);
}

describe('a revert request: its own question and approval, run by the runner', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; db: TestDatabase; close(): Promise<void> };
  let harness: RequestHarness;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool);
  });
  afterAll(async () => {
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  const history = () =>
    querySql<{ version: string; step: string; status: string; request_id: string }>(
      harness.target.url,
      'SELECT version, step, status, request_id FROM schemawright.migration_history ORDER BY started_at',
    );

  it('takes back an applied change after the approvers saw what its down does; a second revert finds nothing to take back', async () => {
    const { services, target } = harness;
    const applied = await startRequest(services, change(target.name));
    await approveAll(services, applied.requestId);
    expect((await statusWhen(services, applied.requestId, 'done', ended)).state).toBe('completed');

    const { requestId } = await startRequest(services, revert(applied.requestId));
    const gate = await statusWhen(services, requestId, 'at the gate', atGate);
    expect(gate).toMatchObject({ kind: 'revert', target: target.name, environment: 'production' });
    expect(gate.title).toBe(`Revert ${applied.requestId}: notes`);
    const [question] = gate.questions;
    expect(question).toMatchObject({
      id: `SW-REVERT:${applied.requestId}`,
      trigger: 'SW-REVERT',
      askedTo: ['ann', 'bob'],
      recommendation: { optionId: 'revert' },
    });
    expect(question!.options.map((o) => o.id)).toEqual(['revert', 'reject']);
    expect(question!.problem).toContain(
      `Revert request ${applied.requestId} (the release is rolled back): run the down of migration 001, 1 step(s): 001 revert ${requestId}#1: DROP TABLE notes.`,
    );
    // Nothing ran before approval.
    expect(await querySql(target.url, `SELECT to_regclass('notes') IS NOT NULL AS here`)).toEqual([{ here: true }]);

    await approveAll(services, requestId);
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('completed');
    expect(done.outcome).toMatch(
      new RegExp(`^reverted request ${applied.requestId}: ran 1 of 1 step\\(s\\) in \\d+ ms; verified$`),
    );
    expect(await querySql(target.url, `SELECT to_regclass('notes') IS NULL AS gone`)).toEqual([{ gone: true }]);
    expect(await history()).toEqual([
      { version: '001', step: '001_notes#1', status: 'undone', request_id: applied.requestId },
      { version: '001', step: `revert ${requestId}#1`, status: 'applied', request_id: requestId },
    ]);
    const audit = await queryAudit(store.pool, { requestId });
    expect(audit.find((e) => e.kind === 'request-created')?.data).toMatchObject({
      kind: 'revert',
      reverts: applied.requestId,
      reason: 'the release is rolled back',
    });
    expect(audit.filter((e) => e.kind === 'step-applied').map((e) => e.data.step)).toEqual([`revert ${requestId}#1`]);

    // The change is no longer on the target: a second revert fails at modeling, saying why, and runs nothing.
    const again = await startRequest(services, revert(applied.requestId, 'once more'));
    const failed = await statusWhen(services, again.requestId, 'done', ended);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toBe(
      `modeling failed: Nothing was reverted: step 001_notes#1 of migration 001 is undone in the target's history, so request ${applied.requestId}'s change is no longer there to revert`,
    );
    expect(failed.questions).toEqual([]);

    // A revert is not reverted: its change comes back as a change request.
    expect(await startRequest(services, revert(requestId)).catch((e: unknown) => e)).toEqual(
      new RequestInputError([
        `request ${requestId} is itself a revert: to bring its change back, start a change request with the SQL it took back`,
      ]),
    );
  });

  it('refuses, before anything starts and audited, a revert of a change without a down, without a reason, or of no request', async () => {
    const { services, target } = harness;
    const refusal = (kickoff: KickoffRequest) => startRequest(services, kickoff).catch((e: unknown) => e);
    const files = [{ path: '002_tags.up.sql', up: 'CREATE TABLE tags (id int);' }];
    const noDown = await startRequest(services, change(target.name, files));
    await approveAll(services, noDown.requestId);
    await statusWhen(services, noDown.requestId, 'done', ended);

    expect(await refusal(revert(noDown.requestId))).toEqual(
      new RequestInputError([
        'migration 002 (002_tags.up.sql) has no down, and 002_tags#1 has no undo: write the down and revert with a change request of it, or change forward',
      ]),
    );
    expect(await refusal(revert(noDown.requestId, ' '))).toEqual(
      new RequestInputError([
        "a revert request needs a reason (source format 'revert'): say why the change is taken back (--reason)",
      ]),
    );
    expect(await refusal(revert('no-such-request'))).toEqual(
      new RequestInputError(['no request no-such-request to revert: check the id with `schemawright list`']),
    );
    const refused = (await queryAudit(store.pool, { requestId: noDown.requestId })).filter((e) => e.kind === 'refused');
    expect(refused.map((e) => [e.actor, e.data.action])).toEqual([['rita', 'revert']]);
    expect(await requestStatus(services, noDown.requestId)).toMatchObject({ state: 'completed' });
  });

  /** A request that applied a table of its own (with its down), done. */
  async function appliedChange(table: string): Promise<string> {
    const files = [
      { path: `001_${table}.up.sql`, up: `CREATE TABLE ${table} (id int);`, down: `DROP TABLE ${table};` },
    ];
    const { requestId } = await startRequest(harness.services, change(harness.target.name, files));
    await approveAll(harness.services, requestId);
    await statusWhen(harness.services, requestId, 'done', ended);
    return requestId;
  }

  it('API: POST /api/requests/:id/revert starts a revert as the bearer; without a token or a reason it is refused', async () => {
    const server: Server = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: parseTokenKeys(`k1:${'w'.repeat(40)}`),
      apiTokens: parseApiTokens('rita:rita-token-0123456789'),
    });
    try {
      const base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
      const post = (path: string, body: unknown, token?: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
      const applied = await appliedChange('api_notes');
      const page = await (await fetch(`${base}/requests/${applied}`)).text();
      expect(page).toContain(`schemawright revert ${applied} --reason`);

      expect((await post(`/api/requests/${applied}/revert`, { reason: 'rolled back' })).status).toBe(401);
      const noReason = await post(`/api/requests/${applied}/revert`, {}, 'rita-token-0123456789');
      expect(noReason.status).toBe(400);
      expect(await noReason.json()).toMatchObject({ error: 'the revert was not started: reason must be a string' });

      const response = await post(
        `/api/requests/${applied}/revert`,
        { reason: 'rolled back' },
        'rita-token-0123456789',
      );
      expect(response.status).toBe(201);
      const { requestId } = (await response.json()) as { requestId: string };
      const gate = await statusWhen(harness.services, requestId, 'at the gate', atGate);
      expect(gate).toMatchObject({ kind: 'revert', requester: 'rita', target: harness.target.name });
      expect(gate.questions[0]?.id).toBe(`SW-REVERT:${applied}`);
      const refused = (await queryAudit(store.pool, { requestId: applied })).filter((e) => e.kind === 'refused');
      expect(refused.map((e) => [e.actor, e.channel, e.data.action])).toEqual([['unknown', 'api', 'revert']]);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('CLI: schemawright revert <id> --reason starts a revert and follows it to its question; a refusal exits 2 with why', async () => {
    const applied = await appliedChange('cli_notes');
    const cli = (...args: string[]) => {
      const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...inherited } = process.env;
      const env = {
        ...inherited,
        TEMPORAL_ADDRESS: testStack().temporalAddress,
        TEMPORAL_NAMESPACE: temporal.namespace,
        DATABASE_URL: store.db.url,
        SCHEMAWRIGHT_TASK_QUEUE: harness.services.taskQueue,
        [targetVariable(harness.target.name)]: harness.target.url,
      };
      return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', 'cli/schemawright.ts', ...args],
          { cwd: join(__dirname, '..'), env },
          (error, stdout, stderr) =>
            resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    };
    const refused = await cli('revert', 'no-such-request', '--reason', 'x', '--as', 'rita');
    expect(refused).toMatchObject({
      status: 2,
      stderr:
        'schemawright: the request was not started: no request no-such-request to revert: check the id with `schemawright list`\n',
    });
    const run = await cli('revert', applied, '--reason', 'rolled back', '--as', 'rita', '--json');
    expect(run.status).toBe(0);
    const view = JSON.parse(run.stdout) as Awaited<ReturnType<typeof requestStatus>>;
    expect(view).toMatchObject({ kind: 'revert', state: 'awaiting-approval', requester: 'rita' });
    expect(view.questions[0]?.id).toBe(`SW-REVERT:${applied}`);
  });
});
