import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { ConfigError, readEnvironment } from '../config/environment';
import {
  connectTemporal,
  createTestDatabase,
  testStack,
  uniqueName,
  type TemporalConnections,
  type TestDatabase,
} from '../test/support/stack';
import { listRequests, RequestInputError, startRequest, workflowIdOf } from './requests';
import { openRequestServices } from './services';
import type { RequestInput } from '../workflows/design-request-messages';

describe('openRequestServices', () => {
  let db: TestDatabase;
  let temporal: TemporalConnections;
  beforeAll(async () => {
    db = await createTestDatabase('sw_services');
    temporal = await connectTemporal();
  });
  afterAll(async () => {
    await temporal?.close();
    await db?.drop();
  });

  it('starts requests with the policy file, the task queue and the gate timings of the environment', async () => {
    const taskQueue = uniqueName('services');
    const env = readEnvironment({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      SCHEMAWRIGHT_TASK_QUEUE: taskQueue,
      SCHEMAWRIGHT_EXPIRE_AFTER: '2h',
    });
    const services = await openRequestServices(env, 'operator');
    try {
      const { requestId } = await startRequest(services, {
        kind: 'change',
        title: 'add a note',
        target: 'shop',
        environment: 'production',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
      });
      const handle = temporal.client.workflow.getHandle(workflowIdOf(requestId));
      const description = await handle.describe();
      expect(description.taskQueue).toBe(taskQueue);
      const history = await handle.fetchHistory();
      const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const input = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as RequestInput;
      expect(input.policy).toEqual(services.policy.gatePolicyFor('shop', 'production'));
      expect(input.timings.expireAfterSeconds).toBe(7200);
      // The store was migrated: the source went in as an artifact.
      const { rows } = await (services.store as Pool).query('SELECT kind FROM artifacts WHERE digest = $1', [
        input.source.digest,
      ]);
      expect(rows).toEqual([{ kind: 'source-sql' }]);
      await handle.terminate('test done');
    } finally {
      await services.close();
    }
  });

  it('refuses, before storing anything, a request for a target and environment the policy names no approvers for', async () => {
    const policyPath = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
    writeFileSync(
      policyPath,
      'people:\n  ann: { name: Ann, email: ann@example.test }\ntargets:\n  shop:\n    production: { approvers: [ann] }\n',
    );
    const env = readEnvironment({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      SCHEMAWRIGHT_TASK_QUEUE: uniqueName('services'),
      SCHEMAWRIGHT_POLICY: policyPath,
    });
    const services = await openRequestServices(env, 'operator');
    try {
      const artifacts = async () =>
        (await (services.store as Pool).query<{ n: string }>('SELECT count(*) AS n FROM artifacts')).rows[0].n;
      const before = await artifacts();
      const start = startRequest(services, {
        kind: 'change',
        title: '',
        target: 'billing',
        environment: 'production',
        requester: 'ann',
        channel: 'api',
        source: { format: 'sql', text: 'SELECT 1;' },
      });
      await expect(start).rejects.toThrow(RequestInputError);
      await expect(start).rejects.toThrow(
        'the request was not started: the approval policy names no approvers for billing/production: an admin adds targets.billing.production (or a "*" rule) with approvers',
      );
      expect(await artifacts()).toBe(before);
    } finally {
      await services.close();
    }
  });

  it('lists requests by a filter that ends in a backslash or holds a quote (the query quotes both)', async () => {
    const env = readEnvironment({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      SCHEMAWRIGHT_TASK_QUEUE: uniqueName('services'),
    });
    const services = await openRequestServices(env, 'operator');
    try {
      expect(await listRequests(services, { requester: "o'brien\\" })).toEqual([]);
    } finally {
      await services.close();
    }
  });

  it('says how to reach a stack when none is configured', async () => {
    const env = readEnvironment({ SCHEMAWRIGHT_HOME: '/nonexistent' });
    await expect(openRequestServices(env, 'operator')).rejects.toThrow(ConfigError);
    await expect(openRequestServices(env, 'operator')).rejects.toThrow(
      'run `npm start` in this directory, or set DATABASE_URL and TEMPORAL_ADDRESS',
    );
  });

  it('refuses to open with a policy file that does not exist', async () => {
    const env = readEnvironment({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      SCHEMAWRIGHT_POLICY: '/nonexistent/policy.yaml',
    });
    await expect(openRequestServices(env, 'operator')).rejects.toThrow(
      'SCHEMAWRIGHT_POLICY=/nonexistent/policy.yaml: no such file.',
    );
  });
});
