import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StackCheckResult } from '../activities/stack-check';

const { roundTripStore } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Server, worker and store working together: what `schemawright doctor` and `npm start` run. */
export async function stackCheck(): Promise<StackCheckResult> {
  return await roundTripStore(workflowInfo().workflowId);
}
