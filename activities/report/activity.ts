import type { Pool } from 'pg';
import { appendAudit } from '../../store/audit';
import { putArtifact } from '../../store/artifacts';
import type { Notification, RequestStatusView } from '../../workflows/design-request-messages';
import type { RequestActivities } from '../contracts';
import { renderRequestReport } from './request-report';

export interface ReportDependencies {
  store: Pool;
  /** Delivers notifications over the approvals channels (Slack, email); absent: notifications are only audited by the workflow. */
  notify?: (notification: Notification) => Promise<void>;
}

/** What a request tells: its report, its audit entries, and notifications to the people it asks. */
export function createReportActivities({ store, notify }: ReportDependencies): Pick<RequestActivities, 'writeReport' | 'audit' | 'notify'> {
  return {
    writeReport: ({ status }) => putArtifact(store, 'request-report', 'text/markdown', renderRequestReport(status as RequestStatusView)),

    audit: async (entry) => {
      await appendAudit(store, entry);
    },

    // A channel that is down must not hold up or fail the request: the failure is audited instead.
    notify: async (notification) => {
      await notify?.(notification).catch((error: Error) =>
        appendAudit(store, { kind: 'notification-failed', requestId: notification.requestId, target: notification.status.target, data: { notification: notification.kind, recipients: notification.recipients, error: error.message } }),
      );
    },
  };
}
