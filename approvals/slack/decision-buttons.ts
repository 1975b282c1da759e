import type { App, BlockButtonAction, SlackViewAction } from '@slack/bolt';
import type { View } from '@slack/web-api';
import { questionDetails } from '../question-details';
import { RefusedError, requestStatus, UnknownRequestError } from '../requests';
import { decideAsked } from '../rollouts';
import { DECIDE_ACTION_PREFIX, escapeSlack, questionMessage, type DecisionButtonValue } from './blocks';
import { personOf, tellPrivately, NotInPolicyError, type SlackContext } from './context';
import { questionMessageOf } from './threads';

export const CONFIRM_VIEW = 'dbdesign_confirm';

interface ConfirmMetadata extends DecisionButtonValue {
  /** `slack-<user>-<action_ts>`: the Update id, so a re-sent submission is answered once. */
  actionId: string;
  channel?: string;
}

function confirmModal(metadata: ConfirmMetadata, optionTitle: string): View {
  const needsComment = metadata.optionId === 'reject' || !metadata.recommended;
  return {
    type: 'modal',
    callback_id: CONFIRM_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Confirm your decision' },
    submit: { type: 'plain_text', text: metadata.optionId === 'reject' ? 'Reject' : 'Confirm' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `You choose *${escapeSlack(optionTitle)}* on question \`${escapeSlack(metadata.questionId)}\` of request ${escapeSlack(metadata.requestId)}.`,
        },
      },
      {
        type: 'input',
        block_id: 'comment',
        optional: !needsComment,
        label: {
          type: 'plain_text',
          text: needsComment ? 'Why? (required to reject or to go against the recommendation)' : 'Comment (optional)',
        },
        element: { type: 'plain_text_input', action_id: 'value', multiline: true },
      },
    ],
  } as View;
}

/** A button click opens the confirm modal at once (trigger_id lives 3 s); the submission decides. */
export function registerDecisionButtons(app: App, context: SlackContext): void {
  app.action<BlockButtonAction>(new RegExp(`^${DECIDE_ACTION_PREFIX}`), async ({ ack, body, action, client }) => {
    await ack();
    const value = JSON.parse(action.value ?? '{}') as DecisionButtonValue;
    const metadata: ConfirmMetadata = {
      ...value,
      actionId: `slack-${body.user.id}-${action.action_ts}`,
      channel: body.channel?.id,
    };
    await client.views.open({ trigger_id: body.trigger_id, view: confirmModal(metadata, action.text.text) });
  });

  // The report button is a link: Slack still tells the app about the click, which only needs an ack.
  app.action('open-report', async ({ ack }) => ack());

  app.view<SlackViewAction>(CONFIRM_VIEW, async ({ ack, body, view, client }) => {
    const metadata = JSON.parse(view.private_metadata) as ConfirmMetadata;
    let person;
    try {
      person = await personOf(context, body.user.id, 'decide', metadata.requestId);
    } catch (error) {
      if (!(error instanceof NotInPolicyError)) throw error;
      await ack({ response_action: 'errors', errors: { comment: error.message } });
      return;
    }
    await ack();
    const comment = view.state.values.comment?.value?.value?.trim() || undefined;
    try {
      await decideAsked(
        context.services,
        metadata,
        { questionId: metadata.questionId, optionId: metadata.optionId, person: person.id, channel: 'slack', comment },
        metadata.actionId,
      );
      // A rollout's question message shows the decision when the rollout tells it settled.
      if (!metadata.rollout) await showVotes(context, client, metadata);
    } catch (error) {
      if (error instanceof RefusedError || error instanceof UnknownRequestError) {
        await tellPrivately(
          client,
          metadata.channel,
          body.user.id,
          `Your decision was not recorded: ${escapeSlack(error instanceof RefusedError ? error.reason : error.message)}`,
        );
        return;
      }
      throw error;
    }
  });
}

/** The question message shows who chose what right away (the workflow's notification does it too). */
async function showVotes(context: SlackContext, client: App['client'], metadata: ConfirmMetadata): Promise<void> {
  const message = await questionMessageOf(context.services.store, metadata.requestId, metadata.questionId);
  if (!message) return;
  const status = await requestStatus(context.services, metadata.requestId);
  const question = status.questions.find((q) => q.id === metadata.questionId);
  if (!question) return;
  await client.chat.update({
    channel: message.channel,
    ts: message.ts,
    ...questionMessage(status, await questionDetails(context.services.store, question), context.webBaseUrl),
  });
}
