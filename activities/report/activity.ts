import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { appendAudit, appendAudits } from '../../store/audit';
import { REQUEST_END_KINDS } from '../../store/audit-anchor';
import { putArtifact } from '../../store/artifacts';
import {
  status,
  type Notification,
  type RequestStatusView,
  type StatusNotification,
} from '../../workflows/design-request-messages';
import type { RequestActivities } from '../contracts';
import { renderRequestReport } from './request-report';

export interface ReportDependencies {
  store: Pool;
  /** Delivers notifications over the approvals channels (Slack, email); absent: notifications are only audited by the workflow. */
  notify?: (notification: StatusNotification) => Promise<void>;
  /** Signs and anchors a checkpoint of the audit chain; absent: no checkpoints. */
  checkpointAudit?: () => Promise<unknown>;
}

type ReportActivities = Pick<RequestActivities, 'writeReport' | 'audit' | 'notify' | 'auditBatch' | 'notifyBatch'>;

/** What a request tells: its report, its audit entries, and notifications to the people it asks. */
export function createReportActivities({ store, notify, checkpointAudit }: ReportDependencies): ReportActivities {
  const activities: ReportActivities = {
    writeReport: ({ status, state }) =>
      putArtifact(store, 'request-report', 'text/markdown', renderRequestReport(status as RequestStatusView, state)),

    audit: (entry) => activities.auditBatch([entry]),

    auditBatch: async (entries) => {
      await appendAudits(store, entries);
      // A request's end is checkpointed at once. Failing here would append the entries again on retry:
      // the minute's checkpoint covers them instead.
      if (entries.some((entry) => REQUEST_END_KINDS.has(entry.kind)))
        await checkpointAudit?.().catch((error: Error) =>
          process.stderr.write(`audit checkpoint failed: ${error.message}\n`),
        );
    },

    // A channel that is down must not hold up or fail the request: the failure is audited instead.
    notify: async (notification) => {
      if (!notify) return;
      await notify(await withStatus(notification)).catch((error: Error) =>
        appendAudit(store, {
          kind: 'notification-failed',
          requestId: notification.requestId,
          target: notification.target ?? notification.status?.target ?? 'unknown',
          data: { notification: notification.kind, recipients: notification.recipients, error: error.message },
        }),
      );
    },

    // In order: a request's Slack thread and mail read as its story.
    notifyBatch: async (notifications) => {
      for (const notification of notifications) await activities.notify(notification);
    },
  };
  return activities;
}

/**
 * A notification carries references and what changed; the channels show the whole request, read
 * from its own workflow by the `status` Query (the activity runs for that workflow). Histories from
 * before carry the view.
 */
async function withStatus(notification: Notification): Promise<StatusNotification> {
  if (notification.status) return { ...notification, status: notification.status };
  const { client, info } = Context.current();
  if (!info.workflowExecution)
    throw new Error(`notification for request ${notification.requestId} without its status, outside its workflow`);
  const view = await client.workflow.getHandle(info.workflowExecution.workflowId).query(status);
  return { ...notification, status: view };
}
