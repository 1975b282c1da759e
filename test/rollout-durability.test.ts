import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailCapture, type MailCapture } from '../approvals/email/capture';
import { decideRollout, startRollout, type RolloutServices } from '../approvals/rollouts';
import { databaseUrl } from '../store/database';
import { queryAudit } from '../store/audit';
import type { ManagedChild } from '../stack/child-process';
import { querySql, runSql, testPolicy, testSigner } from './support/requests';
import { openQuestion, rolloutEnded, rolloutWhen } from './support/rollouts';
import { polling, startWorkerProcess } from './support/worker-process';
import {
  connectTemporal,
  createTestStore,
  testStack,
  uniqueName,
  type TemporalConnections,
  type TestStore,
} from './support/stack';

const TENANTS = 12;
const POLICY = `
people:
  rita: { name: Rita, email: rita@example.test }
  ann: { name: Ann, email: ann@example.test }
  bob: { name: Bob, email: bob@example.test }
targets:
  "*": { "*": { approvers: [ann, bob] } }
`;

/**
 * The worker is a process of its own, SIGKILLed while a wave applies: the rollout and its children
 * are durable, and the runner's history on each target makes a retried apply skip what it applied.
 */
describe('a rollout survives its worker being killed mid-wave', () => {
  let temporal: TemporalConnections;
  let store: TestStore;
  let mail: MailCapture;
  const workers: ManagedChild[] = [];
  const prefix = uniqueName('sw_rk');
  const tenants = Array.from({ length: TENANTS }, (_, i) => `${prefix}_${String(i + 1).padStart(2, '0')}`);
  const admin = () => testStack().postgresAdminUrl;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    mail = await startMailCapture(store.pool, 0);
    await runSql(admin(), `CREATE DATABASE "${prefix}_template"`);
    await runSql(
      databaseUrl(admin(), `${prefix}_template`),
      `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);
       INSERT INTO orders SELECT i, i FROM generate_series(1, 20000) i;`,
    );
    for (const name of tenants) await runSql(admin(), `CREATE DATABASE "${name}" TEMPLATE "${prefix}_template"`);
  });
  afterAll(async () => {
    for (const worker of workers.splice(0)) await worker.stop(5_000, 'SIGKILL');
    for (const name of [...tenants, `${prefix}_template`])
      await runSql(admin(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await mail?.close();
    await store?.close();
    await temporal?.close();
  });

  it('a new worker finishes the wave: every target applied once, none twice', async () => {
    const taskQueue = uniqueName('rollout-kill');
    const policyFile = join(mkdtempSync(join(tmpdir(), 'sw-policy-')), 'policy.yaml');
    writeFileSync(policyFile, POLICY);
    // The group's databases are on a server of their own variable: targets named fleet/<database>.
    process.env.SCHEMAWRIGHT_SERVER_FLEET_URL = admin();
    const startWorker = () => {
      const worker = startWorkerProcess({
        namespace: temporal.namespace,
        storeUrl: store.db.url,
        taskQueue,
        webUrl: 'http://approvals.rollout-kill.test',
        mailPort: mail.port,
        env: {
          SCHEMAWRIGHT_POLICY: policyFile,
          SCHEMAWRIGHT_SERVER_FLEET_URL: admin(),
          // The worker verifies approvals with these, not with any key a workflow carries.
          SCHEMAWRIGHT_DECISION_PUBLIC_KEY: testSigner.publicKeys.web!,
          SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY: testSigner.publicKeys.cli!,
        },
      });
      workers.push(worker);
      return worker;
    };
    const services: RolloutServices = {
      temporal: temporal.client,
      store: store.pool,
      taskQueue,
      gatePolicyFor: () => testPolicy(),
      timings: { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86400 },
      heartbeatSeconds: 2,
      decisions: testSigner,
      groups: [
        {
          name: 'fleet',
          stages: [
            {
              environment: 'production',
              server: 'fleet',
              pattern: `${prefix}\\_0%`,
              waves: [{ count: 1 }, 'rest'],
              maxFailures: 0,
              pauseSeconds: 0,
            },
          ],
        },
      ],
    };
    const first = startWorker();
    await polling(first);
    const { rolloutId, targets } = await startRollout(services, {
      group: 'fleet',
      title: 'orders get a note and an index',
      requester: 'rita',
      channel: 'cli',
      source: {
        format: 'sql',
        text: 'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);',
      },
      concurrency: 2,
    });
    expect(targets).toBe(9); // _01 to _09 match `_0%`; _10 to _12 do not
    const asked = await rolloutWhen(services, rolloutId, 'asked', openQuestion('approve:production:'), 120_000);
    await decideRollout(services, rolloutId, {
      questionId: asked.questions[0]!.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    await rolloutWhen(
      services,
      rolloutId,
      'wave 2 applying',
      (view) => view.current?.wave === 2 && view.targets.some((t) => t.state === 'applying'),
      120_000,
    );
    await first.stop(5_000, 'SIGKILL');
    await polling(startWorker());

    const view = await rolloutWhen(services, rolloutId, 'ended', rolloutEnded, 180_000);
    expect(view.state).toBe('completed');
    expect(view.targets.map((t) => t.state)).toEqual(Array(9).fill('applied'));
    expect(view.targets[0]!.name).toBe(`fleet/${tenants[0]}`);
    for (const name of tenants.slice(0, 9)) {
      const rows = await querySql<{ step: string; status: string }>(
        databaseUrl(admin(), name),
        'SELECT step, status FROM schemawright.migration_history ORDER BY started_at',
      );
      // Two steps, each applied once on each target.
      expect(rows.map((r) => r.status)).toEqual(['applied', 'applied']);
      expect(new Set(rows.map((r) => r.step)).size).toBe(2);
    }
    for (const name of tenants.slice(9))
      expect(
        await querySql(databaseUrl(admin(), name), `SELECT to_regclass('schemawright.migration_history') AS t`),
      ).toEqual([{ t: null }]);
    const done = (await queryAudit(store.pool, { requestId: rolloutId }))
      .filter((e) => e.kind === 'target-done')
      .map((e) => (e.data as { target: string }).target);
    expect(done.sort()).toEqual(tenants.slice(0, 9).map((name) => `fleet/${name}`));
  });
});
