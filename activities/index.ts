import type { Pool } from 'pg';
import type { Notification } from '../workflows/design-request-messages';
import { createRequestActivities } from './request';
import { createStackCheckActivities } from './stack-check';

/** What every activity may use; built once per worker process. */
export interface ActivityDependencies {
  store: Pool;
  /** The approvals channels' notifier (Slack, email); see approvals/notify.ts. */
  notify?: (notification: Notification) => Promise<void>;
  /** Signs and anchors a checkpoint of the audit chain (store/audit-anchor.ts); absent: no checkpoints. */
  checkpointAudit?: () => Promise<unknown>;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createStackCheckActivities(deps.store),
    ...createRequestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
