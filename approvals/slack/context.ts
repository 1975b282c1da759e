import type { WebClient } from '@slack/web-api';
import type { Policy, Person } from '../policy';
import { auditRefusal, type RequestServices } from '../requests';

/** What every Slack listener uses: the one request path, the policy, and where links point. */
export interface SlackContext {
  services: RequestServices & { policy: Policy };
  webBaseUrl: string;
}

/** Said to someone in Slack: never where the policy file lives (or any path) on the server. */
export class NotInPolicyError extends Error {
  constructor(slackUserId: string) {
    super(
      `Your Slack account (${slackUserId}) is not in the approval policy; ask an admin to add you under people with slack: ${slackUserId}.`,
    );
  }
}

/** Slack users act as the person the policy file names for their Slack id, and only then: anyone else is refused, and audited. */
export async function personOf(
  context: SlackContext,
  slackUserId: string,
  action: string,
  requestId?: string,
): Promise<Person> {
  const person = context.services.policy.personBySlackId(slackUserId);
  if (person) return person;
  const refusal = new NotInPolicyError(slackUserId);
  await auditRefusal(context.services, {
    action,
    actor: `slack:${slackUserId}`,
    channel: 'slack',
    requestId,
    reason: refusal.message,
  });
  throw refusal;
}

export async function tellPrivately(
  client: WebClient,
  channel: string | undefined,
  user: string,
  text: string,
): Promise<void> {
  if (channel) await client.chat.postEphemeral({ channel, user, text });
  else await client.chat.postMessage({ channel: user, text });
}
