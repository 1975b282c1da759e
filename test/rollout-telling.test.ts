import { Client as PgClient } from 'pg';
import type { Server } from 'node:http';
import { WebClient } from '@slack/web-api';
import { parseTokenKeys, signToken, verifyToken } from '../approvals/email/tokens';
import { createRolloutTeller } from '../approvals/notify';
import { loadPolicy } from '../approvals/policy';
import { controlRollout, decideRollout, rolloutStatusOf, startRollout } from '../approvals/rollouts';
import { createSlackApp } from '../approvals/slack/app';
import { createWebServer, listen } from '../approvals/web/server';
import { waitFor } from '../stack/wait';
import { queryAudit } from '../store/audit';
import type { GatePolicy } from '../workflows/design-request-messages';
import { rolloutEnded, rolloutHarness, rolloutWhen, openQuestion, type RolloutHarness } from './support/rollouts';
import { querySql, testPolicy } from './support/requests';
import { startSlackApiStandIn, type SlackApiCall, type SlackApiStandIn } from './support/slack-api';
import { SlackSender } from './support/slack-requests';
import { startSmtpInbox, type SmtpInbox } from './support/smtp-inbox';
import { databaseUrl } from '../store/database';
import { connectTemporal, createTestStore, testStack, type TemporalConnections, type TestStore } from './support/stack';

/**
 * A rollout's questions reach its stages' approvers over Slack and email and are answered from
 * each; its root message follows the waves; its controls work from Slack. Real parts: the Bolt app
 * behind signed requests, the Web API stand-in, SMTP, Temporal and PostgreSQL.
 */
const KEYS = parseTokenKeys(`k1:${'r'.repeat(40)}`);
const SECRET = 'slack-signing-secret-rollouts';
const CHANNEL = 'C0ROLLOUTS';
const ORDERS = 'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)';
const ADD_NOTE = 'ALTER TABLE orders ADD COLUMN note text;';
/** ann approves dev, bob production (ids and Slack users from config/policy.example.yaml); rita requests. */
const APPROVER: Record<string, string> = { dev: 'ann', production: 'bob' };
const perStage = (_group: string, environment: string): GatePolicy =>
  testPolicy({ approvers: [APPROVER[environment]!], backupApprovers: [] });

describe('a rollout tells its approvers over Slack and email, and takes their decisions and controls from both', () => {
  let temporal: TemporalConnections;
  let store: TestStore;
  let harness: RolloutHarness;
  let slackApi: SlackApiStandIn;
  let smtp: SmtpInbox;
  let server: Server;
  let base: string;
  let sender: SlackSender;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    slackApi = await startSlackApiStandIn();
    smtp = await startSmtpInbox();
    const policy = loadPolicy();
    // The web server's address is known once it listens; the teller reads it when it tells.
    const teller = { base: '' };
    harness = await rolloutHarness(temporal, store.pool, {
      databases: 8,
      setup: ORDERS,
      policyFor: perStage,
      tellRollout: (notification) =>
        createRolloutTeller({
          store: store.pool,
          policy,
          mailer: smtp.mailer,
          slack: new WebClient('xoxb-test', { slackApiUrl: `${slackApi.url}/api/`, retryConfig: { retries: 0 } }),
          slackChannel: CHANNEL,
          webBaseUrl: teller.base,
          tokenKeys: KEYS,
        })(notification),
      groups: ([dev, production, w1, w2, alone, f1, f2, f3]) => [
        {
          name: 'shop-path',
          stages: [
            { environment: 'dev', targets: [dev!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 },
            { environment: 'production', targets: [production!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 },
          ],
        },
        {
          name: 'fails',
          stages: [
            {
              environment: 'dev',
              targets: [f1!, f2!, f3!],
              waves: [{ count: 2 }, 'rest'],
              maxFailures: 0,
              pauseSeconds: 0,
            },
          ],
        },
        {
          name: 'alone',
          stages: [{ environment: 'dev', targets: [alone!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 }],
        },
        {
          name: 'two-waves',
          // An hour between the waves: the rollout is running, and waiting, when it is paused.
          stages: [
            {
              environment: 'dev',
              targets: [w1!, w2!],
              waves: [{ count: 1 }, 'rest'],
              maxFailures: 0,
              pauseSeconds: 3600,
            },
          ],
        },
      ],
    });
    const services = { ...harness.services, policy };
    const slack = createSlackApp({
      services,
      webBaseUrl: 'http://unused.test',
      botToken: 'xoxb-test',
      signingSecret: SECRET,
      slackApiUrl: `${slackApi.url}/api/`,
    });
    server = createWebServer({ services, tokenKeys: KEYS, apiTokens: new Map(), slack: slack.requestListener });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    teller.base = base;
    sender = new SlackSender(`${base}/slack/events`, SECRET);
  });
  afterAll(async () => {
    // The worker first: a telling still under way reaches the channels before they close.
    await harness?.close();
    server?.close();
    server?.closeAllConnections();
    await smtp?.close();
    await slackApi?.close();
    await store?.close();
    await temporal?.close();
  });

  const about = (rolloutId: string) => (call: SlackApiCall) => JSON.stringify(call.args).includes(rolloutId);
  const buttons = (call: SlackApiCall) =>
    (call.args.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
  /** ann clicks `button` of the rollout's question in Slack and confirms in the modal, with `comment` if any. */
  const clickAndConfirm = async (
    rolloutId: string,
    button: { action_id: string; value?: string },
    label: string,
    comment: string | null,
  ) => {
    await sender.interaction({
      type: 'block_actions',
      user: { id: 'U0ANN' },
      channel: { id: CHANNEL },
      trigger_id: `tr-${button.action_id}`,
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: 'q',
          value: button.value,
          text: { type: 'plain_text', text: label },
          action_ts: '1700000101.000001',
        },
      ],
    });
    const open = await waitFor('the confirm modal', () =>
      slackApi.callsTo('views.open').find((c) => JSON.stringify(c.args).includes(rolloutId)),
    );
    return sender.interaction({
      type: 'view_submission',
      user: { id: 'U0ANN' },
      view: {
        id: `V-${button.action_id}`,
        callback_id: 'dbdesign_confirm',
        private_metadata: (open.args.view as { private_metadata: string }).private_metadata,
        state: { values: { comment: { value: { type: 'plain_text_input', value: comment } } } },
      },
    });
  };
  const mailTo = (rolloutId: string, to: string, kind: string) =>
    waitFor(`${kind} mail to ${to}`, () =>
      smtp.mails.find(
        (m) =>
          m.headers.get('x-schemawright-request') === rolloutId &&
          m.headers.get('x-schemawright-kind') === kind &&
          JSON.stringify(m.to).includes(to),
      ),
    );

  it("dev's question is answered from Slack, production's (with dev's results) by email; the root message follows; a forged link decides nothing", async () => {
    const { services } = harness;
    const { rolloutId } = await startRollout(services, {
      group: 'shop-path',
      title: 'orders get a note',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: ADD_NOTE },
    });
    // Slack: one root message in the channel, the dev question in its thread with a button per option.
    const devAsked = await waitFor('the dev question in Slack', () =>
      slackApi
        .callsTo('chat.postMessage')
        .find((c) => c.args.thread_ts && JSON.stringify(c.args.blocks).includes('approve:dev:') && about(rolloutId)(c)),
    );
    const roots = slackApi.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts && about(rolloutId)(c));
    expect(roots.map((c) => c.args.channel)).toEqual([CHANNEL]);
    expect(JSON.stringify(devAsked.args.blocks)).toContain('<@U0ANN>');
    const apply = buttons(devAsked).find((b) => b.action_id === 'decide:apply')!;
    expect(JSON.parse(apply.value!)).toMatchObject({ requestId: rolloutId, rollout: true });
    // Email: ann is mailed the same question, with her own links.
    const devMail = await mailTo(rolloutId, 'ann@example.test', 'rollout-question');
    expect(devMail.subject).toContain('Decision needed: orders get a note (shop-path)');
    expect(devMail.text).toContain('Apply to 1 target(s) of dev');

    // ann clicks Apply in Slack and confirms: the rollout's question is decided by her, via Slack.
    const submitted = await clickAndConfirm(rolloutId, apply, 'Apply', null);
    expect(submitted.status).toBe(200);

    // Production's question reaches bob by mail, with what dev did.
    let view = await rolloutWhen(services, rolloutId, 'production asked', openQuestion('approve:production:'));
    expect(view.questions[0]!.votes.map((v) => [v.person, v.channel])).toEqual([['ann', 'slack']]);
    const prodMail = await mailTo(rolloutId, 'bob@example.test', 'rollout-question');
    expect(prodMail.text).toContain('Earlier stages: dev: 1 applied');
    const link = [...prodMail.text!.matchAll(/Choose: (\S+)/g)]
      .map((m) => m[1]!)
      .find((l) => new URL(l).searchParams.get('option') === 'apply')!;
    const claims = verifyToken(KEYS, new URL(link).searchParams.get('token')!);
    expect(claims).toMatchObject({ requestId: rolloutId, person: 'bob', rollout: true });

    // Attack: the same claims signed with a key the server does not hold decide nothing.
    const forged = signToken(parseTokenKeys(`k1:${'f'.repeat(40)}`), { ...claims, jti: 'forged-jti' });
    const refused = await fetch(`${base}/decide?token=${encodeURIComponent(forged)}&option=apply`);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const forgedPost = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ token: forged, csrf, option: 'apply', comment: '' }).toString(),
    });
    expect(forgedPost.status).toBeGreaterThanOrEqual(400);
    view = await rolloutStatusOf(services, rolloutId);
    expect(view.questions.find((q) => q.id.startsWith('approve:production:'))!.votes).toEqual([]);

    // bob's own link decides, by email.
    const post = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        token: new URL(link).searchParams.get('token')!,
        csrf,
        option: 'apply',
        comment: '',
      }).toString(),
    });
    expect(post.status).toBe(200);
    view = await rolloutWhen(services, rolloutId, 'completed', rolloutEnded);
    expect(view.state).toBe('completed');
    expect(view.questions.flatMap((q) => q.votes.map((v) => [v.person, v.channel]))).toEqual([
      ['ann', 'slack'],
      ['bob', 'email'],
    ]);

    // Each question's message in the thread, once decided, names who chose what, via which channel, and has no buttons.
    const prodAsked = slackApi
      .callsTo('chat.postMessage')
      .find(
        (c) => c.args.thread_ts && JSON.stringify(c.args.blocks).includes('approve:production:') && about(rolloutId)(c),
      )!;
    for (const [asked, shown] of [
      [devAsked, 'ann chose *Apply to 1 target(s) of dev* via slack'],
      [prodAsked, 'bob chose *Apply to 1 target(s) of production* via email'],
    ] as const) {
      const decided = await waitFor(`the ${shown.split(' via ')[0]} message updated`, () =>
        slackApi
          .callsTo('chat.update')
          .filter((c) => c.args.ts === asked.answer!.ts)
          .at(-1),
      );
      expect(decided.args.channel).toBe(asked.answer!.channel);
      expect(buttons(decided)).toEqual([]);
      expect(JSON.stringify(decided.args.blocks)).toContain(shown);
      expect(JSON.stringify(decided.args.blocks)).toContain('decided: Apply to 1 target(s)');
    }

    // The root message was updated per wave, to the end: the last shows both stages applied.
    const updates = slackApi.callsTo('chat.update').filter(about(rolloutId));
    expect(updates.length).toBeGreaterThanOrEqual(3);
    const last = JSON.stringify(updates.at(-1)!.args.blocks);
    expect(last).toContain('*dev*: 1 applied · 0 failed · 0 skipped · 0 pending');
    expect(last).toContain('*production*: 1 applied · 0 failed · 0 skipped · 0 pending');
    expect(slackApi.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts && about(rolloutId)(c))).toHaveLength(
      1,
    );
    // The requester's summary.
    const summary = await mailTo(rolloutId, 'rita@example.test', 'rollout-ended');
    expect(summary.subject).toContain('Rollout completed');
    expect(summary.text).toContain('- production: 1 applied, 0 failed, 0 skipped, 0 pending');
    // No secret in what Slack or email carried.
    const carried = JSON.stringify([slackApi.calls.map((c) => c.args), smtp.mails.map((m) => m.text)]);
    for (const secret of [SECRET, 'r'.repeat(40)]) expect(carried).not.toContain(secret);
  });

  it('the root message pauses a running rollout from Slack, /dbdesign rollout skips a target; an unsigned or forged click, or a person not in the policy, does nothing', async () => {
    const { services } = harness;
    const { rolloutId } = await startRollout(services, {
      group: 'two-waves',
      title: 'orders get a note in two waves',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: ADD_NOTE },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    await decideRollout(services, rolloutId, {
      questionId: asked.questions[0]!.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    // After wave 1 the root message shows it, with a Pause button.
    const afterWave = await waitFor('the root message after wave 1', () =>
      slackApi
        .callsTo('chat.update')
        .filter(about(rolloutId))
        .find((c) => JSON.stringify(c.args.blocks).includes('*dev*: 1 applied · 0 failed · 0 skipped · 1 pending')),
    );
    const pause = buttons(afterWave).find((b) => b.action_id === 'rollout-control:pause')!;
    const click = (ts: string) => ({
      type: 'block_actions',
      user: { id: 'U0ANN' },
      channel: { id: CHANNEL },
      trigger_id: `tr-${ts}`,
      actions: [
        {
          type: 'button',
          action_id: pause.action_id,
          block_id: 'r',
          value: pause.value,
          text: { type: 'plain_text', text: 'Pause' },
          action_ts: ts,
        },
      ],
    });
    // Attack: the click signed with another secret, and with no signature at all, is refused by the Bolt app.
    expect((await sender.interaction(click('1700000201.1'), { secret: 'not-the-signing-secret' })).status).toBe(401);
    const unsigned = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payload: JSON.stringify(click('1700000201.2')) }).toString(),
    });
    expect(unsigned.status).toBe(401);
    expect((await rolloutStatusOf(services, rolloutId)).paused).toBe(false);

    expect((await sender.interaction(click('1700000201.3'))).status).toBe(200);
    const paused = await rolloutWhen(services, rolloutId, 'paused', (v) => v.paused);
    expect(paused.state).not.toBe('completed');
    // The root message shows it at once: paused, with Resume in place of Pause.
    const shown = await waitFor('the root message paused', () =>
      slackApi
        .callsTo('chat.update')
        .filter(about(rolloutId))
        .find((c) => JSON.stringify(c.args.blocks).includes('(paused)')),
    );
    expect(buttons(shown).map((b) => b.action_id)).toEqual(['rollout-control:resume', 'rollout-control:abort']);
    // The slash command: skip the waiting target as ann; someone the policy does not name resumes nothing.
    const w2 = harness.databases[3]!;
    const command = (user: string, text: string, n: number) =>
      sender.command({
        user_id: user,
        text,
        trigger_id: `tr-c${n}`,
        response_url: `${slackApi.url}/response/roll-${n}`,
      });
    expect((await command('U0ANN', `rollout skip ${rolloutId} ${w2}`, 1)).status).toBe(200);
    const skipped = await rolloutWhen(services, rolloutId, 'w2 skipped', (v) =>
      v.targets.some((t) => t.name === w2 && t.state === 'skipped'),
    );
    expect(skipped.paused).toBe(true);
    expect((await command('U0NOBODY', `rollout resume ${rolloutId}`, 2)).status).toBe(200);
    const answer = await waitFor('the refusal', () => slackApi.responses.find((r) => r.path === '/response/roll-2'));
    expect(String(answer.body.text)).toContain('is not in the approval policy');
    expect((await rolloutStatusOf(services, rolloutId)).paused).toBe(true);
    await controlRollout(services, rolloutId, {
      action: 'abort',
      person: 'rita',
      channel: 'cli',
      comment: 'test done',
    });
    await rolloutWhen(services, rolloutId, 'aborted', rolloutEnded);
    // Audited as the clicker's, like every control.
    const entries = await queryAudit(store.pool, { requestId: rolloutId });
    expect(
      entries.filter((e) => e.kind === 'control').map((e) => [e.actor, (e.data as { action: string }).action]),
    ).toEqual([
      ['ann', 'pause'],
      ['ann', 'skip'],
      ['rita', 'abort'],
    ]);
  });

  it("a wave's failure question reaches the stage's approvers in the rollout's thread, naming the failed target, and by email; skipped from its Slack button, the rollout goes on", async () => {
    const { services, databases } = harness;
    const [f1, f2, f3] = databases.slice(5);
    const { rolloutId } = await startRollout(services, {
      group: 'fails',
      title: 'orders get a note, one tenant locked',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: ADD_NOTE },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    // A lock another session holds makes f2's apply stop (the runner waits 500 ms, no retry): wave 1 fails.
    const holder = new PgClient({ connectionString: databaseUrl(testStack().postgresAdminUrl, f2!) });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE orders IN SHARE MODE');
    try {
      await decideRollout(services, rolloutId, {
        questionId: asked.questions[0]!.id,
        optionId: 'apply',
        person: 'ann',
        channel: 'cli',
      });
      await rolloutWhen(services, rolloutId, 'wave 1 stopped', openQuestion('wave:dev:1:'));
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // Slack: in the thread of the rollout's root message, mentioning ann, naming f2, with a button per option.
    const root = slackApi.callsTo('chat.postMessage').find((c) => !c.args.thread_ts && about(rolloutId)(c))!;
    const waveAsked = await waitFor('the wave question in Slack', () =>
      slackApi
        .callsTo('chat.postMessage')
        .find((c) => JSON.stringify(c.args.blocks ?? []).includes('wave:dev:1:') && about(rolloutId)(c)),
    );
    expect([waveAsked.args.channel, waveAsked.args.thread_ts]).toEqual([CHANNEL, root.answer!.ts]);
    const shown = JSON.stringify(waveAsked.args.blocks);
    expect(shown).toContain('<@U0ANN>');
    expect(shown).toContain(`Wave 1 of dev stopped: 1 target(s) failed, more than the 0 allowed: ${f2} (`);
    expect(buttons(waveAsked).map((b) => b.action_id)).toEqual([
      'decide:skip',
      'decide:retry',
      'decide:abort',
      'open-report',
    ]);
    // Email: ann is mailed the same question.
    const mailed = await waitFor('the wave question mailed to ann', () =>
      smtp.mails.find(
        (m) =>
          m.headers.get('x-schemawright-request') === rolloutId &&
          JSON.stringify(m.to).includes('ann@example.test') &&
          m.text?.includes('Wave 1 of dev stopped'),
      ),
    );
    expect(mailed.headers.get('x-schemawright-kind')).toBe('rollout-question');
    expect(mailed.text).toContain(f2);

    // ann clicks Skip in Slack and confirms, with the comment that going against the recommendation (abort) needs.
    const skip = buttons(waveAsked).find((b) => b.action_id === 'decide:skip')!;
    const submitted = await clickAndConfirm(
      rolloutId,
      skip,
      'Skip the failed targets and continue',
      'f2 is migrated by hand',
    );
    expect(submitted.status).toBe(200);

    // The rollout goes on: wave 2 applies f3; f2 stays as it was.
    const view = await rolloutWhen(services, rolloutId, 'ended', rolloutEnded);
    expect(view.state).toBe('completed');
    expect(view.targets.map((t) => [t.name, t.wave, t.state])).toEqual([
      [f1, 1, 'applied'],
      [f2, 1, 'skipped'],
      [f3, 2, 'applied'],
    ]);
    const columns = (name: string) =>
      querySql<{ column_name: string }>(
        databaseUrl(testStack().postgresAdminUrl, name),
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position`,
      ).then((rows) => rows.map((row) => row.column_name));
    expect(await columns(f2!)).toEqual(['id', 'total']);
    expect(await columns(f3!)).toEqual(['id', 'total', 'note']);
    const wave = view.questions.find((q) => q.id.startsWith('wave:dev:1:'))!;
    expect(wave.votes.map((v) => [v.person, v.optionId, v.channel, v.comment])).toEqual([
      ['ann', 'skip', 'slack', 'f2 is migrated by hand'],
    ]);
    const decided = await waitFor('the wave question message updated', () =>
      slackApi
        .callsTo('chat.update')
        .filter((c) => c.args.ts === waveAsked.answer!.ts)
        .at(-1),
    );
    expect(buttons(decided)).toEqual([]);
    expect(JSON.stringify(decided.args.blocks)).toContain('ann chose *Skip the failed targets and continue* via slack');
  });

  it('Slack down: the question still goes out by email, the failure is audited, and the rollout goes on', async () => {
    const { services } = harness;
    slackApi.failNext('chat.postMessage', 'channel_not_found');
    const { rolloutId } = await startRollout(services, {
      group: 'alone',
      title: 'orders get a note, Slack down',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: ADD_NOTE },
    });
    await mailTo(rolloutId, 'ann@example.test', 'rollout-question');
    const failed = await waitFor('the failed telling audited', async () =>
      (await queryAudit(store.pool, { requestId: rolloutId })).find((e) => e.kind === 'notification-failed'),
    );
    expect(JSON.stringify(failed.data)).toContain('channel_not_found');
    const view = await rolloutWhen(services, rolloutId, 'asked', openQuestion('approve:dev:'));
    await decideRollout(services, rolloutId, {
      questionId: view.questions[0]!.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    expect((await rolloutWhen(services, rolloutId, 'completed', rolloutEnded)).state).toBe('completed');
  });
});
