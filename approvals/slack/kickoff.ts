import type { App, SlackViewAction, ViewSubmitAction } from '@slack/bolt';
import type { View, WebClient } from '@slack/web-api';
import { isName, kindSourceProblem, RequestInputError, startRequest, type KickoffRequest } from '../requests';
import type { RequestKind, RequestStatusView } from '../../workflows/design-request-messages';
import { escapeSlack, rootMessage } from './blocks';
import { NotInPolicyError, personOf, tellPrivately, type SlackContext } from './context';
import { rememberThread } from './threads';

export const KICKOFF_VIEW = 'dbdesign_kickoff';

function input(blockId: string, label: string, element: Record<string, unknown>, optional = false) {
  return {
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    element: { action_id: 'value', ...element },
  };
}

const choice = (value: string) => ({ text: { type: 'plain_text', text: value }, value });

export function kickoffModal(channelId: string): View {
  return {
    type: 'modal',
    callback_id: KICKOFF_VIEW,
    private_metadata: JSON.stringify({ channelId }),
    title: { type: 'plain_text', text: 'Database design request' },
    submit: { type: 'plain_text', text: 'Start' },
    blocks: [
      input('title', 'Title', { type: 'plain_text_input', max_length: 150 }),
      input('kind', 'Kind', {
        type: 'static_select',
        options: ['change', 'design', 'review'].map(choice),
        initial_option: choice('change'),
      }),
      input('target', 'Target database', {
        type: 'plain_text_input',
        placeholder: { type: 'plain_text', text: 'shop' },
      }),
      input('environment', 'Environment', { type: 'plain_text_input', initial_value: 'production' }),
      input('source', 'Spec (YAML) or migration SQL', { type: 'plain_text_input', multiline: true }, true),
      input(
        'file',
        'Or upload it (.sql, .yaml)',
        { type: 'file_input', filetypes: ['sql', 'yaml', 'yml', 'txt'], max_files: 1 },
        true,
      ),
    ],
  } as View;
}

type Values = ViewSubmitAction['view']['state']['values'];
const valueOf = (values: Values, block: string): string =>
  values[block]?.value?.value ?? values[block]?.value?.selected_option?.value ?? '';

/** The modal's submission: acked at once (field errors inline), the request started after. */
export function registerKickoff(app: App, context: SlackContext): void {
  app.view<SlackViewAction>(KICKOFF_VIEW, async ({ ack, body, view, client }) => {
    const values = view.state.values;
    let person;
    try {
      person = await personOf(context, body.user.id, 'start');
    } catch (error) {
      if (!(error instanceof NotInPolicyError)) throw error;
      await ack({
        response_action: 'errors',
        errors: {
          title: `You are not in the approval policy: ask an admin to add slack: ${body.user.id} to your person.`,
        },
      });
      return;
    }
    const kind = valueOf(values, 'kind') as RequestKind;
    const source = valueOf(values, 'source');
    const upload = uploadOf(values);
    const format = kind === 'design' ? 'spec' : 'sql';
    const sourceProblem = kindSourceProblem(kind, format, Boolean(source.trim() || upload));
    if (sourceProblem) {
      await ack({ response_action: 'errors', errors: { source: `${sourceProblem}.` } });
      return;
    }
    if (source.trim() && upload) {
      await ack({
        response_action: 'errors',
        errors: { file: 'Give the spec or SQL once: pasted, or as a file, not both.' },
      });
      return;
    }
    const names = { target: valueOf(values, 'target').trim(), environment: valueOf(values, 'environment').trim() };
    const badNames = Object.entries(names).filter(([, name]) => !isName(name));
    if (badNames.length) {
      await ack({
        response_action: 'errors',
        errors: Object.fromEntries(
          badNames.map(([block]) => [block, 'Letters, digits, _ and -, like shop or production.']),
        ),
      });
      return;
    }
    await ack();
    const { channelId } = JSON.parse(view.private_metadata || '{}') as { channelId?: string };
    let text = source;
    if (upload) {
      try {
        text = await downloadFile(client, upload.id);
      } catch (error) {
        await tellPrivately(
          client,
          channelId,
          body.user.id,
          `The request was not started: ${escapeSlack((error as Error).message)}`,
        );
        return;
      }
    }
    const kickoff: KickoffRequest = {
      // The view id makes a re-sent submission find the same request.
      clientRequestId: `slack-${view.id}`.replace(/[^a-z0-9_-]/gi, '-').slice(0, 63),
      kind,
      title: valueOf(values, 'title'),
      ...names,
      requester: person.id,
      channel: 'slack',
      source: { format, text },
    };
    // The root message exists before the workflow does, so that its first notification finds the thread.
    const requestId = kickoff.clientRequestId!;
    const posted = await client.chat.postMessage({
      channel: channelId ?? body.user.id,
      ...rootMessage(startingView(requestId, kickoff), context.webBaseUrl),
    });
    const root = await rememberThread(context.services.store, requestId, { channel: posted.channel!, ts: posted.ts! });
    try {
      await startRequest(context.services, kickoff);
    } catch (error) {
      const reason = escapeSlack(
        error instanceof RequestInputError ? error.message : `the request could not start: ${(error as Error).message}`,
      );
      await client.chat.update({
        channel: root.channel,
        ts: root.ts,
        text: `${escapeSlack(kickoff.title)}: ${reason}`,
      });
      await tellPrivately(client, channelId, body.user.id, reason);
    }
  });
}

/** The file of the modal's file input, when one was uploaded. */
function uploadOf(values: Values): { id: string; name: string } | undefined {
  const files = (values.file?.value as { files?: { id: string; name: string }[] } | undefined)?.files;
  return files?.[0];
}

/** Largest upload read: a migration or a spec, not a dump. */
const MAX_UPLOAD_BYTES = 1024 * 1024;

/** Reads an uploaded file through the Web API (files.info) and its private URL, with the bot's token. */
async function downloadFile(client: WebClient, fileId: string): Promise<string> {
  const { file } = await client.files.info({ file: fileId });
  const url = file?.url_private_download ?? file?.url_private;
  if (!url)
    throw new Error(
      `Slack gave no download URL for the file ${file?.name ?? fileId}: upload it again, or paste its text.`,
    );
  if ((file?.size ?? 0) > MAX_UPLOAD_BYTES)
    throw new Error(`${file?.name} is larger than 1 MB: a migration or a spec should not be; paste the part to apply.`);
  const response = await fetch(url, { headers: { authorization: `Bearer ${client.token}` } });
  if (!response.ok)
    throw new Error(
      `downloading ${file?.name ?? fileId} from Slack failed (HTTP ${response.status}): check the app's files:read scope.`,
    );
  return response.text();
}

function startingView(requestId: string, kickoff: KickoffRequest): RequestStatusView {
  const { kind, title, target, environment, requester } = kickoff;
  return {
    requestId,
    kind,
    title: title || `${kind} ${target}`,
    target,
    environment,
    requester,
    state: 'running',
    phase: 'kickoff',
    questions: [],
    timeline: [],
    artifacts: {},
  };
}
