import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import { decideFloor } from '../floor/workflows';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * The floor of the benchmarks that time a decision: `n` bare Update round trips, each to a fresh
 * workflow that does nothing but wait for that one Update, on the server under test.
 */
export async function bareUpdateRoundTrips(client: Client, connection: NativeConnection, n: number): Promise<number[]> {
  const taskQueue = `bench-floor-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../floor/workflows'), logger: silent }),
  });
  const times: number[] = [];
  await worker.runUntil(async () => {
    for (let i = 0; i < n; i++) {
      const handle = await client.workflow.start('waitForOneUpdate', {
        workflowId: `floor-${randomUUID()}`,
        taskQueue,
      });
      const started = performance.now();
      await handle.executeUpdate(decideFloor, { args: ['apply'] });
      times.push(performance.now() - started);
      await handle.result();
    }
  });
  return times;
}
