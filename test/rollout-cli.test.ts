import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDecisionKey, publicKeyHex } from '../approvals/decision-keys';
import { parseTokenKeys, verifyToken } from '../approvals/email/tokens';
import { ROLLOUT_LINK } from '../approvals/web/rollout-routes';
import { waitFor } from '../stack/wait';
import type { RolloutStatusView } from '../workflows/rollout-messages';
import { testSigner } from './support/requests';
import { rolloutHarness, type RolloutHarness } from './support/rollouts';
import { connectTemporal, createTestStore, testStack, type TemporalConnections, type TestStore } from './support/stack';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe('schemawright rollout start, status, decide, pause', () => {
  let temporal: TemporalConnections;
  let store: TestStore;
  let harness: RolloutHarness;
  let dir: string;
  // The CLI signs as the operator with this key; the worker verifies with its public half.
  const operatorKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await rolloutHarness(temporal, store.pool, {
      databases: 2,
      setup: 'CREATE TABLE orders (id bigint PRIMARY KEY)',
      groups: () => [],
      decisionKeys: { ...testSigner.publicKeys, cli: publicKeyHex(parseDecisionKey(operatorKey, 'test')) },
    });
    dir = mkdtempSync(join(tmpdir(), 'schemawright-rollout-cli-'));
    const [a, b] = harness.databases;
    writeFileSync(
      join(dir, 'policy.yaml'),
      `people:
  rita: { email: rita@example.test }
  ann: { email: ann@example.test }
targets:
  "*": { "*": { approvers: [ann] } }
groups:
  pair:
    - { environment: production, targets: [${a}, ${b}], waves: [1, rest] }
`,
    );
    writeFileSync(join(dir, 'add-note.sql'), 'ALTER TABLE orders ADD COLUMN note text;\n');
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
      SCHEMAWRIGHT_TASK_QUEUE: harness.taskQueue,
      SCHEMAWRIGHT_POLICY: join(dir, 'policy.yaml'),
      SCHEMAWRIGHT_WEB_URL: 'http://approvals.test',
      SCHEMAWRIGHT_OPERATOR_KEY: operatorKey,
      SCHEMAWRIGHT_DECISION_PUBLIC_KEY: testSigner.publicKeys.web!,
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

  const statusOf = async (id: string) =>
    JSON.parse((await cli('rollout', 'status', id, '--json')).stdout) as RolloutStatusView;

  it('starts a rollout over a policy group, shows its grid, takes a decision, refuses a control from outside', async () => {
    const [a, b] = harness.databases;
    const started = await cli(
      'rollout',
      'start',
      join(dir, 'add-note.sql'),
      '--group',
      'pair',
      '--as',
      'rita',
      '--id',
      'cli-pair',
    );
    expect(started.stderr).toBe('');
    expect(started.stdout.trim()).toBe('started rollout cli-pair over 2 target(s) of pair');
    const asked = await waitFor(
      'the stage question',
      async () => {
        const view = await statusOf('cli-pair');
        return view.questions.some((q) => q.state === 'open') ? view : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const grid = await cli('rollout', 'status', 'cli-pair');
    expect(grid.status).toBe(0);
    expect(grid.stdout).toContain('state: awaiting-approval');
    expect(grid.stdout).toContain('  production wave 1        .  1 pending');
    expect(grid.stdout).toContain(`question ${asked.questions[0]!.id} (asked to ann): `);

    const refused = await cli('rollout', 'pause', 'cli-pair', '--as', 'mallory');
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toBe(
      "schemawright: mallory may not pause this rollout: its requester, its stages' approvers and admins may",
    );

    const decided = await cli(
      'rollout',
      'decide',
      'cli-pair',
      '--question',
      asked.questions[0]!.id,
      '--option',
      'apply',
      '--as',
      'ann',
    );
    expect(decided.stdout.trim()).toBe(`ann chose apply on ${asked.questions[0]!.id}: question decided (1/1)`);
    const done = await waitFor(
      'completed',
      async () => {
        const view = await statusOf('cli-pair');
        return view.state === 'completed' ? view : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(done.targets.map((t) => [t.name, t.state])).toEqual([
      [a, 'applied'],
      [b, 'applied'],
    ]);
    const final = await cli('rollout', 'status', 'cli-pair');
    expect(final.stdout).toContain('  production wave 2        #  1 applied');
    expect(final.stdout).toContain('outcome: targets: 2 applied');
  });

  it('prints a rollout link signed for one person and this rollout, and refuses one for a rollout that does not exist', async () => {
    const linked = await cli('rollout', 'link', 'cli-pair', '--as', 'rita');
    expect(linked.stderr).toBe('');
    const url = new URL(linked.stdout.trim());
    expect(`${url.origin}${url.pathname}`).toBe('http://approvals.test/rollouts/cli-pair');
    // Signed with the key the CLI generated in SCHEMAWRIGHT_HOME, which the web server reads too.
    const keys = parseTokenKeys(readFileSync(join(dir, 'token-key'), 'utf8').trim());
    expect(verifyToken(keys, url.searchParams.get('token')!)).toMatchObject({
      requestId: 'cli-pair',
      questionId: ROLLOUT_LINK,
      person: 'rita',
    });
    const unknown = await cli('rollout', 'link', 'no-such-rollout', '--as', 'rita');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stdout).toBe('');
  });
});
