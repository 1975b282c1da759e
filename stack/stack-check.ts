import type { Environment } from '../config/environment';
import { stackCheck } from '../workflows/stack-check';
import { connectClient } from './temporal-connection';

/** Runs the stack-check workflow on whatever worker polls the task queue, and reports what it proved. */
export async function runStackCheck(env: Environment, timeoutMs = 60_000) {
  const { client, connection } = await connectClient(env);
  try {
    const workflowId = `stack-check-${Date.now().toString(36)}`;
    const handle = await client.workflow.start(stackCheck, {
      taskQueue: env.temporal.taskQueue,
      workflowId,
      workflowExecutionTimeout: timeoutMs,
    });
    const result = await handle.result();
    return { workflowId, ...result };
  } finally {
    await connection.close();
  }
}
