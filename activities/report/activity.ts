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

type ReportActivities = Pick<
  RequestActivities,
  'writeReport' | 'audit' | 'notify' | 'auditBatch' | 'notifyBatch' | 'endRequest'
>;

/** What a request tells: its report, its audit entries, and notifications to the people it asks. */
export function createReportActivities({ store, notify, checkpointAudit }: ReportDependencies): ReportActivities {
  const activities: ReportActivities = {
    writeReport: async ({ status: view, state }) =>
      putArtifact(
        store,
        'request-report',
        'text/markdown',
        renderRequestReport(
          ((view as RequestStatusView | undefined) ?? (await ownStatus())) as RequestStatusView,
          state,
        ),
      ),

    audit: ({ requestId, target, ...entry }) => activities.auditBatch({ requestId, target, entries: [entry] }),

    auditBatch: async ({ requestId, target, entries }) => {
      await appendAudits(
        store,
        entries.map((entry) => ({ ...entry, requestId, target })),
      );
      // A request's end is checkpointed at once, beside the request rather than before it shows done: the
      // checkpoint signs and sends the log's head to Temporal, which took half the time from an apply's end
      // to done. A failure is not this activity's (a retry would append the entries again): the minute's
      // checkpoint covers them instead.
      if (entries.some((entry) => REQUEST_END_KINDS.has(entry.kind)))
        void checkpointAudit?.().catch((error: Error) =>
          process.stderr.write(`audit checkpoint failed: ${error.message}\n`),
        );
    },

    // A channel that is down must not hold up or fail the request: the failure is audited instead.
    notify: async (notification) => {
      if (!notify) return;
      const told = await withStatus(notification);
      await notify(told).catch((error: Error) =>
        appendAudit(store, {
          kind: 'notification-failed',
          requestId: notification.requestId,
          target: told.status.target,
          data: { notification: notification.kind, recipients: notification.recipients, error: error.message },
        }),
      );
    },

    // In order: a request's Slack thread and mail read as its story.
    // One Query for the batch: its notifications were told at the same step.
    // A local activity is ~10 ms of scheduling on a busy worker, beside ~1 ms of work for each of these two.
    endRequest: async ({ requestId, target, status: view, state, entries, end }) => {
      const report = await activities.writeReport({ requestId, status: view, state });
      await activities.auditBatch({
        requestId,
        target,
        entries: [...entries, { ...end, data: { ...end.data, report: report.digest } }],
      });
      return report;
    },

    notifyBatch: async (notifications) => {
      const view = notify && notifications.some((n) => !n.status) ? await ownStatus() : undefined;
      for (const notification of notifications)
        await activities.notify(view ? { ...notification, status: notification.status ?? view } : notification);
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
  return { ...notification, status: notification.status ?? (await ownStatus()) };
}

/** The status view of the request whose activity this is. */
async function ownStatus(): Promise<RequestStatusView> {
  const { client, info } = Context.current();
  if (!info.workflowExecution) throw new Error('a request activity ran outside its request: it has no status to read');
  return client.workflow.getHandle(info.workflowExecution.workflowId).query(status);
}
