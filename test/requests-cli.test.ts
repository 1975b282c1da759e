import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { parseDecisionKey, publicKeyHex } from '../approvals/decision-keys';
import { targetVariable } from '../config/targets';
import { waitFor } from '../stack/wait';
import type { DecisionReceipt, RequestStatusView } from '../workflows/design-request-messages';
import { querySql, requestHarness, testSigner, type RequestHarness } from './support/requests';
import {
  connectTemporal,
  createTestStore,
  testStack,
  uniqueName,
  type TemporalConnections,
  type TestDatabase,
} from './support/stack';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

const POLICY = `
people:
  rita: { email: rita@example.test }
  ann: { email: ann@example.test }
  bob: { email: bob@example.test }
admins: []
targets:
  "*":
    "*": { approvers: [ann, bob], backup_approvers: [], quorum: 1 }
`;

describe('schemawright request, status, list, decide, cancel', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; db: TestDatabase; close(): Promise<void> };
  let harness: RequestHarness;
  let dir: string;
  // The CLI signs with this operator key; the worker verifies CLI decisions with its public half.
  const operatorKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool, {
      targetSetup: 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)',
      decisionKeys: { ...testSigner.publicKeys, cli: publicKeyHex(parseDecisionKey(operatorKey, 'test')) },
    });
    dir = mkdtempSync(join(tmpdir(), 'schemawright-cli-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    writeFileSync(join(dir, 'add-note.sql'), 'ALTER TABLE orders ADD COLUMN note text;\n');
    writeFileSync(join(dir, 'add-tag.sql'), 'ALTER TABLE orders ADD COLUMN tag text;\n');
    writeFileSync(join(dir, 'broken.sql'), 'ALTER TABLE orders\n  ADD COLUMN note text,,;\n');
    writeFileSync(join(dir, 'no-such-table.sql'), 'ALTER TABLE invoices ADD COLUMN note text;\n');
    writeFileSync(join(dir, 'add-flag.sql'), 'ALTER TABLE orders ADD COLUMN flag boolean;\n');
    writeFileSync(
      join(dir, 'shop.yaml'),
      'name: shop\nentities:\n  order:\n    fields:\n      total: { type: money, nullable: maybe }\n',
    );
  });
  afterAll(async () => {
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  function cli(...args: string[]): Promise<Run> {
    const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...inherited } = process.env;
    const env = {
      ...inherited,
      SCHEMAWRIGHT_HOME: dir,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      TEMPORAL_NAMESPACE: temporal.namespace,
      DATABASE_URL: store.db.url,
      SCHEMAWRIGHT_TASK_QUEUE: harness.services.taskQueue,
      SCHEMAWRIGHT_POLICY: join(dir, 'policy.yaml'),
      SCHEMAWRIGHT_OPERATOR_KEY: operatorKey,
      SCHEMAWRIGHT_DECISION_PUBLIC_KEY: testSigner.publicKeys.web!,
      SCHEMAWRIGHT_WEB_URL: 'http://approvals.test',
      [targetVariable(harness.target.name)]: harness.target.url,
    };
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'cli/schemawright.ts', ...args],
        { cwd: join(__dirname, '..'), env },
        (error, stdout, stderr) => {
          resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  it('takes a change from a file to the gate with progress, refuses the requester, applies on an approver’s decision', async () => {
    const id = uniqueName('cli');
    const started = await cli(
      'request',
      join(dir, 'add-note.sql'),
      '--target',
      harness.target.name,
      '--env',
      'production',
      '--as',
      'rita',
      '--id',
      id,
      '--json',
    );
    expect(started.stderr).toContain('… review (running)');
    expect(started.status).toBe(0);
    const atGate = JSON.parse(started.stdout) as RequestStatusView;
    expect(atGate).toMatchObject({ requestId: id, kind: 'change', state: 'awaiting-approval', requester: 'rita' });
    expect(atGate.questions.map((q) => q.id)).toEqual(['approve']);

    const listed = await waitFor('the request in `list`', async () => {
      const run = await cli('list', '--status', 'awaiting-approval', '--target', harness.target.name, '--json');
      return (JSON.parse(run.stdout) as { requestId: string }[]).find((r) => r.requestId === id);
    });
    expect(listed).toMatchObject({ requestId: id, status: 'awaiting-approval', target: harness.target.name });

    const self = await cli('decide', id, '--question', 'approve', '--option', 'apply', '--as', 'rita');
    expect(self.status).toBe(2);
    expect(self.stderr.trim()).toBe(
      'schemawright: rita requested this change and may not decide it (separation of duties)',
    );

    const decided = await cli('decide', id, '--question', 'approve', '--option', 'apply', '--as', 'ann', '--json');
    expect(JSON.parse(decided.stdout) as DecisionReceipt).toMatchObject({ person: 'ann', questionState: 'decided' });
    const done = await waitFor('the request to complete', async () => {
      const view = JSON.parse((await cli('status', id, '--json')).stdout) as RequestStatusView;
      return view.phase === 'done' ? view : undefined;
    });
    expect(done.state).toBe('completed');
    const columns = await querySql<{ column_name: string }>(
      harness.target.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'note']);
  });

  it('refuses SQL or a spec that does not parse, naming the user’s file, line and column, and starts nothing', async () => {
    const id = uniqueName('broken');
    const run = await cli(
      'request',
      join(dir, 'broken.sql'),
      '--target',
      harness.target.name,
      '--env',
      'production',
      '--as',
      'rita',
      '--id',
      id,
      '--no-wait',
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^schemawright: the request was not started: broken\.sql:2:\d+: syntax error at or near ","/,
    );
    const status = await cli('status', id);
    expect(status.status).toBe(2);
    const spec = await cli(
      'request',
      join(dir, 'shop.yaml'),
      '--target',
      harness.target.name,
      '--env',
      'production',
      '--as',
      'rita',
      '--no-wait',
    );
    expect(spec.status).toBe(2);
    expect(spec.stderr).toMatch(/^schemawright: the request was not started: shop\.yaml has \d+ errors?; fix/);
    expect(spec.stderr).toMatch(/\n {2}shop\.yaml:5:\d+: /);
    expect(status.stderr.trim()).toBe(`schemawright: no request ${id}: check the id with \`schemawright list\``);
  });

  it('cancel by the requester ends the request with nothing applied', async () => {
    const id = uniqueName('cli');
    await cli(
      'request',
      join(dir, 'add-tag.sql'),
      '--target',
      harness.target.name,
      '--env',
      'staging',
      '--as',
      'bob',
      '--id',
      id,
      '--json',
    );
    const cancelled = await cli('cancel', id, '--as', 'bob', '--reason', 'not now', '--json');
    expect(cancelled.stderr).toBe('');
    expect(JSON.parse(cancelled.stdout) as RequestStatusView).toMatchObject({
      state: 'cancelled',
      outcome: 'cancelled by bob: not now; nothing was applied',
    });
    expect(cancelled.status).toBe(0);
    expect((await cli('status', id)).status).toBe(6);
  });

  it('says in text what --json has: the page, who was asked, the timeline', async () => {
    const id = uniqueName('text');
    const run = await cli(
      'request',
      join(dir, 'add-flag.sql'),
      '--target',
      harness.target.name,
      '--env',
      'staging',
      '--as',
      'rita',
      '--id',
      id,
    );
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `request ${id}: add-flag.sql`,
        `  page http://approvals.test/requests/${id}`,
        '    asked ann, bob (1 needed)',
        '  timeline',
      ]),
    );
    expect(lines.filter((line) => /^ {4}\d{4}-\d\d-\d\dT\S+ {2}phase review: running$/.test(line))).toHaveLength(1);
    const rejected = await cli(
      'decide',
      id,
      '--question',
      'approve',
      '--option',
      'reject',
      '--as',
      'ann',
      '--comment',
      'not this one',
    );
    expect(rejected.status).toBe(0);
    const ended = await waitFor('the request to end', async () => {
      const status = await cli('status', id);
      return status.stdout.includes('phase done') ? status : undefined;
    });
    expect(ended.status).toBe(4);
  });

  it('exits 2 for a target the policy and configuration do not know, 3 for a request that failed, and names the user’s file', async () => {
    const unknown = await cli(
      'request',
      join(dir, 'add-note.sql'),
      '--target',
      'nosuch',
      '--env',
      'production',
      '--as',
      'rita',
      '--no-wait',
    );
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^schemawright: the request was not started: .*nosuch/);

    const id = uniqueName('failed');
    const failed = await cli(
      'request',
      join(dir, 'no-such-table.sql'),
      '--target',
      harness.target.name,
      '--env',
      'production',
      '--as',
      'rita',
      '--id',
      id,
      '--json',
    );
    const view = JSON.parse(failed.stdout) as RequestStatusView;
    expect(view).toMatchObject({ state: 'failed' });
    expect(failed.status).toBe(3);
    const report = await store.pool.query<{ content: string }>('SELECT content FROM artifacts WHERE digest = $1', [
      view.artifacts['review-report']?.digest,
    ]);
    expect(report.rows[0]?.content).toContain('no-such-table.sql:1:');
    expect(report.rows[0]?.content).not.toContain(`${id}.sql`);
  });
});
