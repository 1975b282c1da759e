import { Context } from '@temporalio/activity';

/**
 * Runs an activity's work while heartbeating, so a killed worker's activity is retried elsewhere
 * within the heartbeat timeout; `progress` sends the latest progress as the heartbeat's details.
 */
export async function heartbeating<T>(work: (progress: (detail: unknown) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  let latest: unknown;
  const timer = setInterval(() => context.heartbeat(latest), 1000);
  try {
    return await work((detail) => {
      latest = detail;
      context.heartbeat(detail);
    });
  } finally {
    clearInterval(timer);
  }
}
