import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { getArtifact } from '../../store/artifacts';
import { queryAudit } from '../../store/audit';
import { waitFor } from '../../stack/wait';
import { requestHarness, type RequestHarness } from '../../test/support/requests';
import { startSlackApiStandIn, type SlackApiCall, type SlackApiStandIn } from '../../test/support/slack-api';
import { SlackSender } from '../../test/support/slack-requests';
import { connectTemporal, createTestStore, type TemporalConnections } from '../../test/support/stack';
import { parseTokenKeys } from '../email/tokens';
import { loadPolicy } from '../policy';
import { requestStatus, workflowIdOf } from '../requests';
import { createWebServer, listen } from '../web/server';
import { createSlackApp, type SlackApp } from './app';
import { threadOf } from './threads';

const SECRET = 'slack-signing-secret-for-tests';
const WEB = 'http://approvals.test';

describe('the Slack app: a real Bolt app behind the approvals server, signed requests, a recorded Web API', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let slackApi: SlackApiStandIn;
  let slack: SlackApp;
  let server: Server;
  let sender: SlackSender;
  let requestId: string;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool);
    slackApi = await startSlackApiStandIn();
    const services = { ...harness.services, policy: loadPolicy() };
    slack = createSlackApp({
      services,
      webBaseUrl: WEB,
      botToken: 'xoxb-test',
      signingSecret: SECRET,
      slackApiUrl: `${slackApi.url}/api/`,
    });
    server = createWebServer({
      services,
      tokenKeys: parseTokenKeys(`k:${'x'.repeat(32)}`),
      apiTokens: new Map(),
      slack: slack.requestListener,
    });
    sender = new SlackSender(`http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/slack/events`, SECRET);
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await slackApi?.close();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  const called = (method: string, count = 1): Promise<SlackApiCall[]> =>
    waitFor(`${count} call(s) to ${method}`, () =>
      slackApi.callsTo(method).length >= count ? slackApi.callsTo(method) : undefined,
    );

  it('refuses a bad signature and a stale timestamp', async () => {
    expect(
      (await sender.command({ user_id: 'U0RITA', text: 'list', trigger_id: 't0' }, { secret: 'wrong-secret' })).status,
    ).toBe(401);
    expect(
      (
        await sender.command(
          { user_id: 'U0RITA', text: 'list', trigger_id: 't0' },
          { timestamp: Math.floor(Date.now() / 1000) - 301 },
        )
      ).status,
    ).toBe(401);
    expect(slackApi.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    const refused = (await queryAudit(store.pool, { requestId: '-' })).filter((e) => e.data.action === 'slack request');
    expect(refused.map((e) => [e.kind, e.actor, e.channel, e.data.reason])).toEqual([
      ['refused', 'unknown', 'slack', expect.stringMatching(/^Failed to verify authenticity: signature mismatch/)],
      ['refused', 'unknown', 'slack', expect.stringMatching(/^Failed to verify authenticity: .*stale/)],
    ]);
  });

  it('/dbdesign opens the request modal with the trigger id', async () => {
    expect(
      (
        await sender.command({
          user_id: 'U0RITA',
          text: '',
          trigger_id: 'trigger-1',
          response_url: `${slackApi.url}/response/1`,
        })
      ).status,
    ).toBe(200);
    const [open] = await called('views.open');
    expect(open.args.trigger_id).toBe('trigger-1');
    expect(open.args.view).toMatchObject({
      callback_id: 'dbdesign_kickoff',
      private_metadata: JSON.stringify({ channelId: 'C0CHAN' }),
    });
  });

  function kickoffSubmission(user: string, title: string, target: string) {
    const field = (value: string) => ({ value: { type: 'plain_text_input', value } });
    return {
      type: 'view_submission',
      user: { id: user },
      view: {
        id: `V${Date.now()}`,
        callback_id: 'dbdesign_kickoff',
        private_metadata: JSON.stringify({ channelId: 'C0CHAN' }),
        state: {
          values: {
            title: field(title),
            kind: { value: { type: 'static_select', selected_option: { value: 'change' } } },
            target: field(target),
            environment: field('production'),
            source: field('ALTER TABLE orders ADD COLUMN note text;'),
          },
        },
      },
    };
  }

  it('a submission from someone outside the policy is answered with the fix, inline, and starts nothing', async () => {
    const response = await sender.interaction(kickoffSubmission('U0STRANGER', 'x', harness.target.name));
    expect(await response.json()).toEqual({
      response_action: 'errors',
      errors: { title: 'You are not in the approval policy: ask an admin to add slack: U0STRANGER to your person.' },
    });
    const refused = await queryAudit(store.pool, { actor: 'slack:U0STRANGER' });
    expect(refused.map((e) => [e.kind, e.requestId, e.channel, e.data.action, e.data.reason])).toEqual([
      ['refused', '-', 'slack', 'start', expect.stringContaining('is not in the approval policy')],
    ]);
  });

  it('the modal submission starts the request as the Slack user’s person and posts its root message, markup escaped', async () => {
    const before = slackApi.callsTo('chat.postMessage').length;
    const response = await sender.interaction(
      kickoffSubmission('U0RITA', 'add a note <@U0ADA> & <!channel>', harness.target.name),
    );
    expect(response.status).toBe(200);
    const root = (await called('chat.postMessage', before + 1))[before];
    expect(root.args.channel).toBe('C0CHAN');
    const text = JSON.stringify(root.args.blocks);
    expect(text).toContain('add a note &lt;@U0ADA&gt; &amp; &lt;!channel&gt;');
    expect(text).not.toContain('<@U0ADA>');
    const rows = await waitFor('the started request', async () => {
      const { rows } = await store.pool.query<{ request_id: string }>('SELECT request_id FROM slack_threads');
      return rows.length ? rows : undefined;
    });
    requestId = rows[0].request_id;
    expect(text).toContain(`${WEB}/requests/${requestId}`);
    expect(await threadOf(store.pool, requestId)).toEqual({ channel: 'C0CHAN', ts: expect.any(String) });
    const status = await waitFor('the workflow', () =>
      requestStatus(harness.services, requestId).catch(() => undefined),
    );
    expect(status).toMatchObject({
      requester: 'rita',
      title: 'add a note <@U0ADA> & <!channel>',
      target: harness.target.name,
    });
    const described = await temporal.client.workflow.getHandle(workflowIdOf(requestId)).describe();
    expect(described.taskQueue).toBe(harness.services.taskQueue);
  });

  it('a file uploaded in the modal is the request’s source, read with the bot’s token', async () => {
    slackApi.addFile('F0TAGS', 'tags.sql', 'CREATE TABLE tags (id bigint PRIMARY KEY);\n');
    const submission = kickoffSubmission('U0RITA', 'tags from a file', harness.target.name);
    const { source: _pasted, ...values } = submission.view.state.values;
    const uploaded = {
      ...submission,
      view: {
        ...submission.view,
        id: 'VFILE1',
        state: {
          values: { ...values, file: { value: { type: 'file_input', files: [{ id: 'F0TAGS', name: 'tags.sql' }] } } },
        },
      },
    };
    expect((await sender.interaction(uploaded)).status).toBe(200);
    const status = await waitFor('the request from the file', () =>
      requestStatus(harness.services, 'slack-VFILE1').catch(() => undefined),
    );
    expect((await getArtifact(store.pool, status.artifacts.source.digest)).content).toBe(
      'CREATE TABLE tags (id bigint PRIMARY KEY);\n',
    );
    expect(slackApi.downloads).toEqual(['Bearer xoxb-test']);
  });

  it('pasted text and a file together are refused inline, before anything starts', async () => {
    const submission = kickoffSubmission('U0RITA', 'both', harness.target.name);
    const both = {
      ...submission,
      view: {
        ...submission.view,
        state: {
          values: {
            ...submission.view.state.values,
            file: { value: { type: 'file_input', files: [{ id: 'F0TAGS', name: 'tags.sql' }] } },
          },
        },
      },
    };
    expect(await (await sender.interaction(both)).json()).toEqual({
      response_action: 'errors',
      errors: { file: 'Give the spec or SQL once: pasted, or as a file, not both.' },
    });
  });

  it('a source that does not go with the kind is refused inline, with the message of every channel', async () => {
    const submission = kickoffSubmission('U0RITA', 'review with SQL', harness.target.name);
    const review = {
      ...submission,
      view: {
        ...submission.view,
        state: {
          values: {
            ...submission.view.state.values,
            kind: { value: { type: 'static_select', selected_option: { value: 'review' } } },
          },
        },
      },
    };
    expect(await (await sender.interaction(review)).json()).toEqual({
      response_action: 'errors',
      errors: {
        source:
          'a review request analyses the target as it is and takes no spec or SQL: leave the source empty, or start a change (SQL) or design (spec) request.',
      },
    });
    const { source: _pasted, ...values } = submission.view.state.values;
    const empty = { ...submission, view: { ...submission.view, state: { values } } };
    expect(await (await sender.interaction(empty)).json()).toEqual({
      response_action: 'errors',
      errors: { source: 'a change request needs migration SQL.' },
    });
  });

  it('a button click opens the confirm modal, with the comment required against the recommendation', async () => {
    const before = slackApi.callsTo('views.open').length;
    const value = JSON.stringify({ requestId, questionId: 'approve', optionId: 'reject', recommended: false });
    await sender.interaction({
      type: 'block_actions',
      user: { id: 'U0ANN' },
      channel: { id: 'C0CHAN' },
      container: { type: 'message', message_ts: '1.1', channel_id: 'C0CHAN' },
      trigger_id: 'trigger-2',
      response_url: `${slackApi.url}/response/2`,
      actions: [
        {
          type: 'button',
          action_id: 'decide:reject',
          block_id: 'question:approve',
          value,
          text: { type: 'plain_text', text: 'Reject' },
          action_ts: '1700000000.000100',
        },
      ],
    });
    const open = (await called('views.open', before + 1))[before];
    const view = open.args.view as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id?: string; optional?: boolean }[];
    };
    expect(open.args.trigger_id).toBe('trigger-2');
    expect(view.callback_id).toBe('dbdesign_confirm');
    expect(JSON.parse(view.private_metadata)).toEqual({
      requestId,
      questionId: 'approve',
      optionId: 'reject',
      recommended: false,
      actionId: 'slack-U0ANN-1700000000.000100',
      channel: 'C0CHAN',
    });
    expect(view.blocks.find((b) => b.block_id === 'comment')?.optional).toBe(false);
  });

  it('a click on the report link button is acknowledged and does nothing else', async () => {
    const opened = slackApi.callsTo('views.open').length;
    const response = await sender.interaction({
      type: 'block_actions',
      user: { id: 'U0ANN' },
      trigger_id: 't-report',
      actions: [
        {
          type: 'button',
          action_id: 'open-report',
          block_id: 'q',
          url: `${WEB}/requests/${requestId}`,
          text: { type: 'plain_text', text: 'Full report' },
          action_ts: '1.3',
        },
      ],
    });
    expect(response.status).toBe(200);
    expect(slackApi.callsTo('views.open')).toHaveLength(opened);
  });

  it('a confirmed decision the workflow refuses is shown to the person ephemerally, with the reason, and audited', async () => {
    await sender.interaction({
      type: 'view_submission',
      user: { id: 'U0ANN' },
      view: {
        id: 'V-confirm-1',
        callback_id: 'dbdesign_confirm',
        private_metadata: JSON.stringify({
          requestId,
          questionId: 'approve',
          optionId: 'reject',
          recommended: false,
          actionId: 'slack-U0ANN-1',
          channel: 'C0CHAN',
        }),
        state: { values: { comment: { value: { type: 'plain_text_input', value: 'too risky' } } } },
      },
    });
    const [ephemeral] = await called('chat.postEphemeral');
    expect(ephemeral.args).toMatchObject({ channel: 'C0CHAN', user: 'U0ANN' });
    expect(ephemeral.args.text).toMatch(
      new RegExp(`^Your decision was not recorded: request ${requestId} is not waiting for decisions`),
    );
    const refused = (await queryAudit(store.pool, { requestId })).filter((e) => e.kind === 'refused');
    expect(refused.map((e) => [e.actor, e.channel, e.data.option, e.data.comment])).toEqual([
      ['ann', 'slack', 'reject', 'too risky'],
    ]);
  });

  it('/dbdesign status, list and history answer through response_url', async () => {
    await sender.command({
      user_id: 'U0ANN',
      text: `status ${requestId}`,
      trigger_id: 't',
      response_url: `${slackApi.url}/response/status`,
    });
    await sender.command({
      user_id: 'U0ANN',
      text: 'status nope',
      trigger_id: 't',
      response_url: `${slackApi.url}/response/unknown`,
    });
    await sender.command({
      user_id: 'U0ANN',
      text: `history ${harness.target.name}`,
      trigger_id: 't',
      response_url: `${slackApi.url}/response/history`,
    });
    await sender.command({
      user_id: 'U0ANN',
      text: 'frobnicate',
      trigger_id: 't',
      response_url: `${slackApi.url}/response/help`,
    });
    const answer = (path: string) =>
      waitFor(`the answer on ${path}`, () => slackApi.responses.find((r) => r.path === path)?.body);
    expect(await answer('/response/status')).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining(
        `add a note &lt;@U0ADA&gt; &amp; &lt;!channel&gt;* (<${WEB}/requests/${requestId}|${requestId}>)`,
      ),
    });
    expect((await answer('/response/unknown')).text).toBe('No request nope: `/dbdesign list` shows the open ones.');
    expect((await answer('/response/history')).text).toContain(
      `*refused* by ann: request ${requestId} is not waiting for decisions`,
    );
    expect((await answer('/response/help')).text).toContain('`/dbdesign status ID` shows a request.');
  });

  it('App Home lists my recent requests; a retried event is answered once', async () => {
    const event = { type: 'app_home_opened', user: 'U0RITA', channel: 'D1', tab: 'home' };
    expect((await sender.event(event, 'Ev-home-1')).status).toBe(200);
    const [publish] = await called('views.publish');
    expect(publish.args.user_id).toBe('U0RITA');
    expect(JSON.stringify(publish.args.view)).toContain('Your recent requests');
    expect(
      (
        await sender.event(event, 'Ev-home-1', {
          headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
        })
      ).status,
    ).toBe(200);
    // A later event of someone else is handled: by then the retry, sent before it, was too if it ever would be.
    expect((await sender.event({ ...event, user: 'U0ANN' }, 'Ev-home-2')).status).toBe(200);
    await waitFor('the home of ann', () => slackApi.callsTo('views.publish').find((c) => c.args.user_id === 'U0ANN'));
    expect(slackApi.callsTo('views.publish').filter((c) => c.args.user_id === 'U0RITA')).toHaveLength(1);
  });
});
