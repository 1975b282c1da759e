import type { IncomingMessage, ServerResponse } from 'node:http';
import { operationsRoutes } from '../../operations/endpoint';
import type { RequestServices } from '../requests';
import { describeReachability, type SlackReachability } from '../slack/reachability';

/**
 * The web server's /metrics and /healthz: healthy while the store and Temporal answer (503 with what
 * failed otherwise). Slack being down does not make it unhealthy (it still serves pages, email links
 * and the API): it is reported under `slack`, not failed. Mounted before any other route.
 */
export function webOperations(deps: {
  services: Pick<RequestServices, 'store' | 'temporal'>;
  slackReachability?: () => SlackReachability;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  return operationsRoutes({
    checks: {
      store: () => deps.services.store.query('SELECT 1'),
      temporal: () => deps.services.temporal.workflowService.getSystemInfo({}),
    },
    notes: (): Record<string, string> => {
      const slack = deps.slackReachability?.();
      return slack ? { slack: slack.state === 'reachable' ? 'ok' : describeReachability(slack) } : {};
    },
  });
}
