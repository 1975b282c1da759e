import type { App, BlockButtonAction } from '@slack/bolt';
import { RefusedError, UnknownRequestError } from '../requests';
import { controlRollout } from '../rollouts';
import { toldStatus, type ControlAction, type RolloutStatusView } from '../../workflows/rollout-messages';
import { CONTROL_ACTION_PREFIX, escapeSlack, rolloutRootMessage, type ControlButtonValue } from './blocks';
import { NotInPolicyError, personOf, tellPrivately, type SlackContext } from './context';
import { threadOf } from './threads';

/**
 * The root message's pause, resume and abort buttons: a control by whoever clicks, as the policy
 * names their Slack id, through the one path a rollout is controlled by (signed, validated and
 * audited by the rollout); a refusal is told to the clicker alone.
 */
export function registerRolloutControls(app: App, context: SlackContext): void {
  app.action<BlockButtonAction>(new RegExp(`^${CONTROL_ACTION_PREFIX}`), async ({ ack, body, action, client }) => {
    await ack();
    const { rolloutId, action: control } = JSON.parse(action.value ?? '{}') as ControlButtonValue;
    const refused = (reason: string) =>
      tellPrivately(client, body.channel?.id, body.user.id, `Your ${control} was not done: ${escapeSlack(reason)}`);
    try {
      await controlFromSlack(context, client, body.user.id, rolloutId, control);
    } catch (error) {
      if (error instanceof NotInPolicyError || error instanceof UnknownRequestError) return refused(error.message);
      if (error instanceof RefusedError) return refused(error.reason);
      throw error;
    }
  });
}

/**
 * A control by the person the policy names for this Slack user (refused and audited otherwise), then
 * the root message brought up to date at once (Resume for Pause), not at the rollout's next telling.
 * Refusals (RefusedError, NotInPolicyError, UnknownRequestError) are the caller's to tell.
 */
export async function controlFromSlack(
  context: SlackContext,
  client: App['client'],
  slackUserId: string,
  rolloutId: string,
  action: ControlAction,
  target?: string,
): Promise<RolloutStatusView> {
  const person = await personOf(context, slackUserId, 'control', rolloutId);
  const view = await controlRollout(context.services, rolloutId, {
    action,
    target,
    person: person.id,
    channel: 'slack',
  });
  const root = await threadOf(context.services.store, rolloutId);
  if (root)
    await client.chat.update({
      channel: root.channel,
      ts: root.ts,
      ...rolloutRootMessage(toldStatus(view), context.webBaseUrl),
    });
  return view;
}
