import { startSmtpInbox, type SmtpInbox } from './support/smtp-inbox';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { createNotifier } from '../approvals/notify';
import { parseTokenKeys, signToken, verifyToken } from '../approvals/email/tokens';
import { loadPolicy } from '../approvals/policy';
import { startRequest, type KickoffRequest } from '../approvals/requests';
import { createSlackApp } from '../approvals/slack/app';
import { createWebServer, listen } from '../approvals/web/server';
import { queryAudit } from '../store/audit';
import { waitFor } from '../stack/wait';
import type { RequestStatusView } from '../workflows/design-request-messages';
import { launchChromium } from './support/chromium';
import { atGate, ended, requestHarness, statusWhen, type RequestHarness } from './support/requests';
import { startSlackApiStandIn, type SlackApiStandIn } from './support/slack-api';
import { SlackSender } from './support/slack-requests';
import { connectTemporal, createTestStore, uniqueName, type TemporalConnections } from './support/stack';

/**
 * Every channel, end to end, through a real request at its gate: Slack (signed requests to the real
 * Bolt app), email (real SMTP, the link followed over HTTP, the form POSTed with its CSRF value) and
 * the JSON API. Needs the request activities registered on the worker (workers/worker.ts).
 */
const KEYS = parseTokenKeys(`k1:${'e'.repeat(40)}`);
const SECRET = 'slack-signing-secret-e2e';
const RITA = 'rita-token-0123456789';
const ORDERS = 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);';

describe('approvals end to end: Slack, email and the API decide a real request', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let slackApi: SlackApiStandIn;
  let smtp: SmtpInbox;
  let server: Server;
  let base: string;
  let sender: SlackSender;
  let notify: ReturnType<typeof createNotifier>;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool, { targetSetup: ORDERS });
    slackApi = await startSlackApiStandIn();
    smtp = await startSmtpInbox();
    const services = { ...harness.services, policy: loadPolicy() };
    const slack = createSlackApp({
      services,
      webBaseUrl: 'http://unused.test',
      botToken: 'xoxb-test',
      signingSecret: SECRET,
      slackApiUrl: `${slackApi.url}/api/`,
    });
    server = createWebServer({
      services,
      tokenKeys: KEYS,
      apiTokens: new Map([[RITA, 'rita']]),
      slack: slack.requestListener,
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    sender = new SlackSender(`${base}/slack/events`, SECRET);
    const { mailer } = smtp;
    notify = createNotifier({ store: store.pool, policy: services.policy, mailer, webBaseUrl: base, tokenKeys: KEYS });
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await smtp?.close();
    await slackApi?.close();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  /** Each request adds a column of its own: they share the target, and the first one is applied. */
  async function requestAtGate(): Promise<RequestStatusView> {
    const kickoff: KickoffRequest = {
      clientRequestId: uniqueName('e2e'),
      kind: 'change',
      title: 'add a note',
      target: harness.target.name,
      environment: 'production',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: `ALTER TABLE orders ADD COLUMN ${uniqueName('note')} text;` },
    };
    const { requestId } = await startRequest(harness.services, kickoff);
    return statusWhen(harness.services, requestId, 'at the gate', atGate);
  }

  /** Mails the question as the notify activity does, and returns ann's link for `option`. */
  async function mailedLink(status: RequestStatusView, person: string, option: string): Promise<string> {
    const question = status.questions[0];
    const before = smtp.mails.length;
    await notify({
      kind: 'question',
      requestId: status.requestId,
      recipients: [person],
      questionId: question.id,
      summary: question.problem,
      status,
    });
    const mail = await waitFor('the question mail', () =>
      smtp.mails.slice(before).find((m) => m.headers.get('x-schemawright-request') === status.requestId),
    );
    const link = [...mail.text!.matchAll(/Choose: (\S+)/g)]
      .map((m) => m[1])
      .find((l) => new URL(l).searchParams.get('option') === option);
    return link!;
  }

  async function openAndPost(
    link: string,
    comment = '',
  ): Promise<{ page: Response; post: Response; csrf: string; cookie: string; token: string }> {
    const page = await fetch(link);
    const html = await page.clone().text();
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const token = new URL(link).searchParams.get('token')!;
    const option = new URL(link).searchParams.get('option')!;
    const post = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ token, csrf, option, comment }).toString(),
    });
    return { page, post, csrf, cookie, token };
  }

  it('Slack: a signed click opens the confirm modal; its submission decides as the Slack user; the request completes', async () => {
    const gate = await requestAtGate();
    const question = gate.questions[0];
    const value = JSON.stringify({
      requestId: gate.requestId,
      questionId: question.id,
      optionId: question.recommendation.optionId,
      recommended: true,
    });
    await sender.interaction({
      type: 'block_actions',
      user: { id: 'U0ANN' },
      channel: { id: 'C1' },
      trigger_id: 'tr-1',
      actions: [
        {
          type: 'button',
          action_id: `decide:${question.recommendation.optionId}`,
          block_id: 'q',
          value,
          text: { type: 'plain_text', text: 'Apply' },
          action_ts: '1700000001.000001',
        },
      ],
    });
    const open = await waitFor('the confirm modal', () => slackApi.callsTo('views.open').at(-1));
    const view = open.args.view as { private_metadata: string };
    const submission = {
      type: 'view_submission',
      user: { id: 'U0ANN' },
      view: {
        id: 'V-e2e',
        callback_id: 'dbdesign_confirm',
        private_metadata: view.private_metadata,
        state: { values: { comment: { value: { type: 'plain_text_input', value: null } } } },
      },
    };
    expect((await sender.interaction(submission)).status).toBe(200);
    // Slack re-sending the same submission is answered once: the action id is the Update id.
    expect((await sender.interaction(submission)).status).toBe(200);
    const done = await statusWhen(harness.services, gate.requestId, 'completed', ended);
    expect(done.state).toBe('completed');
    expect(done.questions[0].votes.map((v) => [v.person, v.optionId, v.channel])).toEqual([
      ['ann', question.recommendation.optionId, 'slack'],
    ]);
  });

  it('email: the link opens a page (GET decides nothing), the POST with its CSRF value decides, the link then refuses reuse', async () => {
    const gate = await requestAtGate();
    const link = await mailedLink(gate, 'ann', gate.questions[0].recommendation.optionId);
    const scanned = await fetch(link);
    expect(scanned.status).toBe(200);
    expect((await statusWhen(harness.services, gate.requestId, 'still open', atGate)).questions[0].votes).toEqual([]);

    const { post, csrf, cookie, token } = await openAndPost(link);
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('ann chose');
    const done = await statusWhen(harness.services, gate.requestId, 'completed', ended);
    expect(done.questions[0].votes.map((v) => [v.person, v.channel])).toEqual([['ann', 'email']]);

    const reused = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ token, csrf, option: 'apply' }).toString(),
    });
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('each link decides once');
  });

  it('browser: chromium follows the mailed link and the person records the decision on the page', async () => {
    const gate = await requestAtGate();
    const link = await mailedLink(gate, 'bob', gate.questions[0].recommendation.optionId);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(link);
      expect(await page.textContent('h1')).toContain('add a note');
      await page.fill('textarea[name=comment]', 'fine <b>by</b> me');
      await page.click('button[type=submit]');
      await page.waitForSelector('text=bob chose');
    } finally {
      await browser.close();
    }
    const done = await statusWhen(harness.services, gate.requestId, 'completed', ended);
    expect(done.questions[0].votes.map((v) => [v.person, v.channel, v.comment])).toEqual([
      ['bob', 'email', 'fine <b>by</b> me'],
    ]);
  });

  it('email: an expired link is refused', async () => {
    const gate = await requestAtGate();
    const link = new URL(await mailedLink(gate, 'bob', gate.questions[0].recommendation.optionId));
    const claims = verifyToken(KEYS, link.searchParams.get('token')!);
    link.searchParams.set('token', signToken(KEYS, { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 1 }));
    const page = await fetch(link);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This link expired at');
  });

  it('email: a person who is not an approver is refused with the reason, audited, and the link stays usable', async () => {
    const gate = await requestAtGate();
    const link = await mailedLink(gate, 'carl', gate.questions[0].recommendation.optionId);
    const { post } = await openAndPost(link);
    expect(post.status).toBe(403);
    expect(await post.text()).toContain(
      `carl is not an approver for ${harness.target.name}/production; approvers: ann, bob`,
    );
    const refused = (await queryAudit(store.pool, { requestId: gate.requestId })).filter((e) => e.kind === 'refused');
    expect(refused.map((e) => [e.actor, e.channel])).toEqual([['carl', 'email']]);
    expect((await fetch(link)).status).toBe(200);
  });

  it('API: the requester deciding their own request is refused (separation of duties)', async () => {
    const gate = await requestAtGate();
    const response = await fetch(`${base}/api/requests/${gate.requestId}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RITA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ questionId: gate.questions[0].id, optionId: gate.questions[0].recommendation.optionId }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'rita requested this change and may not decide it (separation of duties)',
    });
  });
});
