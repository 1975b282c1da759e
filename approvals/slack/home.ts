import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/web-api';
import { requestUrl } from '../email/messages';
import { listRequests, requestStatus } from '../requests';
import { escapeSlack } from './blocks';
import { NotInPolicyError, personOf, type SlackContext } from './context';

const RECENT = 10;

/** App Home: the questions waiting for me, and my recent requests. */
export function registerHome(app: App, context: SlackContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab && event.tab !== 'home') return;
    let blocks: KnownBlock[];
    try {
      blocks = await homeBlocks(context, (await personOf(context, event.user, 'read home')).id);
    } catch (error) {
      if (!(error instanceof NotInPolicyError)) throw error;
      blocks = [{ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(error.message) } }];
    }
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks } });
  });
}

async function homeBlocks(context: SlackContext, person: string): Promise<KnownBlock[]> {
  const waiting = await listRequests(context.services, { status: 'awaiting-approval' });
  const questions: string[] = [];
  for (const summary of waiting) {
    const status = await requestStatus(context.services, summary.requestId).catch(() => undefined);
    for (const q of status?.questions ?? []) {
      if (q.state === 'open' && q.askedTo.includes(person) && !q.votes.some((v) => v.person === person)) {
        questions.push(
          `• <${requestUrl(context.webBaseUrl, summary.requestId)}|${escapeSlack(status!.title)}> (\`${escapeSlack(status!.target)}/${escapeSlack(status!.environment)}\`): ${escapeSlack(q.problem)} (until ${q.expiresAt})`,
        );
      }
    }
  }
  const mine = (await listRequests(context.services, { requester: person })).slice(0, RECENT);
  const section = (text: string): KnownBlock => ({
    type: 'section',
    text: { type: 'mrkdwn', text: text.slice(0, 3000) },
  });
  return [
    { type: 'header', text: { type: 'plain_text', text: 'Waiting for your decision' } },
    section(questions.join('\n') || 'Nothing is waiting for you.'),
    { type: 'header', text: { type: 'plain_text', text: 'Your recent requests' } },
    section(
      mine
        .map(
          (r) =>
            `• <${requestUrl(context.webBaseUrl, r.requestId)}|${escapeSlack(r.requestId)}> ${escapeSlack(r.kind)} on \`${escapeSlack(r.target)}/${escapeSlack(r.environment)}\`: ${r.status} (${r.phase})`,
        )
        .join('\n') || 'You have not asked for anything yet: `/dbdesign` opens the form.',
    ),
  ];
}
