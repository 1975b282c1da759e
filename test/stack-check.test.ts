import type { Pool } from 'pg';
import { createWorker } from '../workers/worker';
import { stackCheck } from '../workflows/stack-check';
import {
  connectTemporal,
  createTestStore,
  uniqueName,
  workflowBundle,
  type TemporalConnections,
} from './support/stack';

describe('the stack check: a real workflow on a real worker, an activity on the real store', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
  });
  afterAll(async () => {
    await store?.close();
    await temporal?.close();
  });

  it('runs the workflow, whose activity writes an artifact to PostgreSQL and reads it back', async () => {
    const taskQueue = uniqueName('stack_check');
    const worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      deps: { store: store.pool },
      workflowBundle: await workflowBundle(),
    });
    const workflowId = uniqueName('stack-check');
    const result = await worker.runUntil(temporal.client.workflow.execute(stackCheck, { taskQueue, workflowId }));

    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.postgresVersion).toMatch(/^\d+/);
    const { rows } = await store.pool.query('SELECT kind, content FROM artifacts WHERE digest = $1', [result.digest]);
    expect(rows).toEqual([{ kind: 'stack-check', content: `stack check by workflow ${workflowId}` }]);

    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      'roundTripStore',
    ]);
  });
});
