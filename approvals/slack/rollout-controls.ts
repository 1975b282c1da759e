import type { App, BlockButtonAction } from '@slack/bolt';
import { RefusedError, UnknownRequestError } from '../requests';
import { controlRollout } from '../rollouts';
import { toldStatus } from '../../workflows/rollout-messages';
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
      const person = await personOf(context, body.user.id, 'control', rolloutId);
      const view = await controlRollout(context.services, rolloutId, {
        action: control,
        person: person.id,
        channel: 'slack',
      });
      // The root message shows the control at once (Resume for Pause), not at the rollout's next telling.
      const root = await threadOf(context.services.store, rolloutId);
      if (root)
        await client.chat.update({
          channel: root.channel,
          ts: root.ts,
          ...rolloutRootMessage(toldStatus(view), context.webBaseUrl),
        });
    } catch (error) {
      if (error instanceof NotInPolicyError || error instanceof UnknownRequestError) return refused(error.message);
      if (error instanceof RefusedError) return refused(error.reason);
      throw error;
    }
  });
}
