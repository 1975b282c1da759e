import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { decideRequest, startRequest } from '../approvals/requests';
import { openRequestServices } from '../approvals/services';
import { readClientEnvironment } from '../config/environment';
import { waitFor } from '../stack/wait';
import { atGate, ended, querySql, statusWhen } from './support/requests';
import { pickStackPorts, startStack, untilRunning, type StartedStack } from './support/npm-start';
import { uniqueName } from './support/stack';

const SETUP = `
  CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);`;
// Two transactional steps on two tables, with a non-transactional one between them.
const MIGRATION = `ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at);
ALTER TABLE invoices ADD COLUMN paid_at timestamptz;`;

/** The one process of `command` (worker, web) that the stack in `home` runs now. */
function childPid(home: string, command: 'worker' | 'web'): number | undefined {
  const pids = readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').slice(0, -1);
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      return (
        /schemawright\.(ts|js)$/.test(args.at(-2) ?? '') &&
        args.at(-1) === command &&
        env.includes(`SCHEMAWRIGHT_HOME=${home}`)
      );
    } catch {
      return false; // exited meanwhile, or not ours
    }
  });
  return pids.length === 1 ? Number(pids[0]) : undefined;
}

/** One sample of a Prometheus text: the value of `name{labels}`, summed over series that carry those labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('npm start in operation: supervised children, metrics, health', () => {
  const home = mkdtempSync(join(tmpdir(), 'sw-ops-home-'));
  chmodSync(home, 0o755);
  let stack: StartedStack | undefined;
  afterAll(async () => {
    if (stack && stack.child.exitCode === null) {
      stack.child.kill('SIGINT');
      await stack.exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('a worker SIGKILLed mid-apply is restarted and the request completes, each step applied once; the web server too; /metrics and /healthz answer', async () => {
    const ports = await pickStackPorts();
    const started = startStack(home, ports);
    stack = started;
    await untilRunning(started, 'the stack to report it is running', 240_000);
    const web = `http://127.0.0.1:${ports.web}`;
    const worker = `http://127.0.0.1:${ports.metrics}`;
    expect(started.output.stdout).toContain(`Metrics (Prometheus):       ${web}/metrics, ${worker}/metrics`);

    const password = readFileSync(join(home, 'postgres.password'), 'utf8').trim();
    const shop = `postgres://postgres:${password}@127.0.0.1:${ports.postgres}/shop`;
    const pg = new PgClient({ connectionString: shop });
    await pg.connect();
    await pg.query(SETUP);
    await pg.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO schemawright_applier');
    await pg.query(
      'ALTER TABLE orders OWNER TO schemawright_applier; ALTER TABLE invoices OWNER TO schemawright_applier',
    );
    await pg.end();

    const clientEnv = readClientEnvironment({
      ...process.env,
      SCHEMAWRIGHT_HOME: home,
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
    });
    const services = await openRequestServices(clientEnv, 'operator');
    try {
      const { requestId } = await startRequest(services, {
        clientRequestId: uniqueName('r'),
        kind: 'change',
        title: 'supervised',
        target: 'shop',
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: MIGRATION },
      });
      const gate = await statusWhen(services, requestId, 'at the gate', atGate, 180_000);
      const question = gate.questions[0];

      // A lock on invoices holds apply after its first two steps: the moment to kill the worker.
      const blocker = new PgClient({ connectionString: shop });
      blocker.on('error', () => undefined); // the stack stopping ends it when a test fails
      await blocker.connect();
      await blocker.query('BEGIN; LOCK TABLE invoices IN ACCESS SHARE MODE');
      await decideRequest(services, requestId, {
        questionId: question.id,
        optionId: question.recommendation.optionId,
        person: 'ann',
        channel: 'cli',
      });
      const history = () =>
        querySql<{ step: string; status: string }>(shop, 'SELECT step, status FROM schemawright.migration_history');
      await waitFor(
        'apply to apply two steps and wait on the lock',
        async () => ((await history()).filter((r) => r.status === 'applied').length === 2 ? true : undefined),
        { timeoutMs: 120_000 },
      );
      const killed = childPid(home, 'worker')!;
      process.kill(killed, 'SIGKILL');
      await blocker.query('ROLLBACK');
      await blocker.end();

      await waitFor(
        'npm start to restart the worker',
        () => started.output.stdout.includes('worker restarted') || undefined,
        {
          timeoutMs: 180_000,
        },
      );
      expect(started.output.stdout).toContain('worker was killed by SIGKILL; restarting it in 1 s (restart 1 of 5)');
      expect(childPid(home, 'worker')).not.toBe(killed);
      const done = await statusWhen(services, requestId, 'done', ended, 180_000);
      expect(done.state).toBe('completed');
      const applied = (await history()).filter((r) => r.status === 'applied').map((r) => r.step);
      expect(applied).toHaveLength(3);
      expect(new Set(applied).size).toBe(3);

      // The new worker's metrics: the apply it finished, its step, and the Temporal SDK's own.
      const workerMetrics = await (await fetch(`${worker}/metrics`)).text();
      expect(
        sample(workerMetrics, 'schemawright_activity_duration_seconds_count', {
          activity: 'applyReviewed',
          outcome: 'completed',
        }),
      ).toBe(1);
      expect(sample(workerMetrics, 'schemawright_apply_step_duration_seconds_count', { outcome: 'applied' })).toBe(1);
      expect(
        sample(workerMetrics, 'temporal_activity_execution_latency_count', { activity_type: 'applyReviewed' }),
      ).toBe(1);
      expect(workerMetrics).not.toContain(password);
      const workerHealth = await fetch(`${worker}/healthz`);
      expect(workerHealth.status).toBe(200);
      expect(await workerHealth.json()).toEqual({ store: 'ok', temporal: 'ok', polling: 'ok' });

      // A refused API call is counted; requests by state come from Temporal.
      expect((await fetch(`${web}/api/requests/${requestId}/decisions`, { method: 'POST', body: '{}' })).status).toBe(
        401,
      );
      const webMetrics = await (await fetch(`${web}/metrics`)).text();
      expect(sample(webMetrics, 'schemawright_requests', { state: 'completed' })).toBe(1);
      expect(sample(webMetrics, 'schemawright_requests', { state: 'awaiting-approval' })).toBe(0);
      expect(sample(webMetrics, 'schemawright_refusals_total', { channel: 'api' })).toBe(1);

      // Logs are JSON lines, with the request id where there is one.
      const webLog = readFileSync(join(home, 'logs', 'web.log'), 'utf8');
      const lines = webLog
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
      expect(lines).toContainEqual(
        expect.objectContaining({ process: 'web', msg: 'http', method: 'POST', status: 401, requestId }),
      );
    } finally {
      await services.close();
    }

    // The web server dies too: restarted, it answers again.
    process.kill(childPid(home, 'web')!, 'SIGKILL');
    await waitFor(
      'npm start to restart the web server',
      () => started.output.stdout.includes('web restarted') || undefined,
      {
        timeoutMs: 180_000,
      },
    );
    expect(await (await fetch(`${web}/healthz`)).json()).toEqual({ store: 'ok', temporal: 'ok' });
    expect(started.child.exitCode).toBeNull();
  }, 900_000);
});
