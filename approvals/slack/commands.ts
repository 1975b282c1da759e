import type { App } from '@slack/bolt';
import { queryAudit } from '../../store/audit';
import type { ControlAction } from '../../workflows/rollout-messages';
import { listRequests, RefusedError, requestStatus, UnknownRequestError } from '../requests';
import { escapeSlack } from './blocks';
import { NotInPolicyError, personOf, type SlackContext } from './context';
import { kickoffModal } from './kickoff';
import { controlFromSlack } from './rollout-controls';
import { requestUrl } from '../email/messages';

const HELP = [
  '`/dbdesign` opens the request form.',
  '`/dbdesign status ID` shows a request.',
  '`/dbdesign list` lists open requests.',
  '`/dbdesign history [target]` shows the latest audited events.',
  '`/dbdesign rollout pause|resume|abort ID` and `/dbdesign rollout skip|retry ID TARGET` control a rollout.',
].join('\n');

const READS = ['status', 'list', 'history'];
const CONTROLS: readonly ControlAction[] = ['pause', 'resume', 'abort', 'skip', 'retry'];

/** `/dbdesign [status ID | list | history [target]]`: acked at once; the modal opens before any slow work. */
export function registerCommands(app: App, context: SlackContext): void {
  app.command('/dbdesign', async ({ ack, command, client, respond }) => {
    const [verb = '', ...rest] = command.text.trim().split(/\s+/).filter(Boolean);
    if (verb === '') {
      await ack();
      // trigger_id expires 3 s after the command: the modal opens first.
      await client.views.open({ trigger_id: command.trigger_id, view: kickoffModal(command.channel_id) });
      return;
    }
    await ack();
    const reply = async (text: string) => void (await respond({ response_type: 'ephemeral', text }));
    const [action, rolloutId, target] = rest as [ControlAction, string?, string?];
    if (verb === 'rollout' && CONTROLS.includes(action) && rolloutId) {
      try {
        const view = await controlFromSlack(context, client, command.user_id, rolloutId, action, target);
        await reply(`Rollout ${escapeSlack(rolloutId)}: ${action} done; it is ${view.paused ? 'paused' : view.state}.`);
      } catch (error) {
        await answerError(reply, error);
      }
      return;
    }
    try {
      // Requests and the audit log are for the policy's people only: anyone else is refused, and audited.
      await personOf(
        context,
        command.user_id,
        `read ${READS.includes(verb) ? verb : 'help'}`,
        verb === 'status' ? rest[0] : undefined,
      );
      if (verb === 'status' && rest[0]) await reply(await statusText(context, rest[0]));
      else if (verb === 'list') await reply(await listText(context));
      else if (verb === 'history') await reply(await historyText(context, rest[0]));
      else await reply(`I do not know \`${escapeSlack(command.text)}\`.\n${HELP}`);
    } catch (error) {
      await answerError(reply, error);
    }
  });
}

async function answerError(reply: (text: string) => Promise<void>, error: unknown): Promise<void> {
  if (error instanceof RefusedError) await reply(`Refused: ${escapeSlack(error.reason)}`);
  else if (error instanceof UnknownRequestError)
    await reply(`No request ${escapeSlack(error.requestId)}: \`/dbdesign list\` shows the open ones.`);
  else if (error instanceof NotInPolicyError) await reply(escapeSlack(error.message));
  else {
    // An internal error's text may name files and servers: it goes to the log, not to Slack.
    console.error('/dbdesign failed:', error);
    await reply(
      'That did not work because of an error on the schemawright server; its log has the details. Try again, or ask an admin.',
    );
  }
}

async function statusText(context: SlackContext, requestId: string): Promise<string> {
  const status = await requestStatus(context.services, requestId);
  const questions = status.questions.map(
    (q) =>
      `• ${escapeSlack(q.id)}: ${q.state}${q.chosenOptionId ? ` (${escapeSlack(q.chosenOptionId)})` : ''}, ${q.votes.length}/${q.quorum}`,
  );
  return [
    `*${escapeSlack(status.title)}* (<${requestUrl(context.webBaseUrl, status.requestId)}|${escapeSlack(status.requestId)}>): ${status.state}, phase ${status.phase}`,
    `${escapeSlack(status.kind)} on \`${escapeSlack(status.target)}/${escapeSlack(status.environment)}\` by ${escapeSlack(status.requester)}`,
    ...questions,
    ...(status.outcome ? [escapeSlack(status.outcome)] : []),
  ].join('\n');
}

async function listText(context: SlackContext): Promise<string> {
  const open = (await listRequests(context.services))
    .filter((r) => ['running', 'awaiting-approval', 'applying'].includes(r.status))
    .slice(0, 20);
  if (!open.length) return 'No open requests.';
  return open
    .map(
      (r) =>
        `• <${requestUrl(context.webBaseUrl, r.requestId)}|${escapeSlack(r.requestId)}> ${escapeSlack(r.kind)} on \`${escapeSlack(r.target)}/${escapeSlack(r.environment)}\` by ${escapeSlack(r.requester)}: ${r.status} (${r.phase})`,
    )
    .join('\n');
}

const HISTORY_DAYS = 30;

async function historyText(context: SlackContext, target?: string): Promise<string> {
  const since = new Date(Date.now() - HISTORY_DAYS * 86_400_000);
  const entries = (await queryAudit(context.services.store, { target, since, limit: 20 })).reverse();
  if (!entries.length)
    return `No audited events${target ? ` for ${escapeSlack(target)}` : ''} in the last ${HISTORY_DAYS} days.`;
  return entries
    .map((e) => {
      const detail = e.data.reason ?? e.data.option ?? e.data.phase ?? e.data.outcome ?? '';
      return `• ${e.at.toISOString()} \`${escapeSlack(e.target)}\` ${escapeSlack(e.requestId)} *${escapeSlack(e.kind)}*${e.actor ? ` by ${escapeSlack(e.actor)}` : ''}${detail ? `: ${escapeSlack(String(detail))}` : ''}`;
    })
    .join('\n');
}
