import { startSmtpInbox, type SmtpInbox } from '../test/support/smtp-inbox';
import { WebClient } from '@slack/web-api';
import type { Pool } from 'pg';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Escalation } from '../artifacts/escalation';
import { putArtifact } from '../store/artifacts';
import { waitFor } from '../stack/wait';
import { startSlackApiStandIn, type SlackApiStandIn } from '../test/support/slack-api';
import { createTestStore } from '../test/support/stack';
import type { QuestionView, RequestStatusView, StatusNotification } from '../workflows/design-request-messages';
import { parseTokenKeys, verifyToken } from './email/tokens';
import { readEnvironment } from '../config/environment';
import { capturedMail, startMailCapture } from './email/capture';
import { createNotifier, openNotifier } from './notify';
import { loadPolicy } from './policy';
import { questionMessageOf, threadOf } from './slack/threads';

const KEYS = parseTokenKeys(`k1:${'s'.repeat(40)}`);
const WEB = 'http://approvals.test';

const ESCALATION: Escalation = {
  id: 'SW-ESC-LOCK:orders',
  trigger: 'SW-ESC-LOCK',
  task: 'add an index on orders(placed_at)',
  problem: 'CREATE INDEX on orders (50M rows) blocks writes for about 4 minutes',
  attempted: ['checked the table size: 50M rows'],
  options: [
    {
      id: 'online',
      title: 'Build it CONCURRENTLY',
      summary: 'No write lock; takes longer.',
      impact: { performance: 'slower build', consistency: 'none', scalability: 'none' },
      risk: 'low',
      blockingSeconds: 0,
    },
    {
      id: 'window',
      title: 'Maintenance window',
      summary: 'Plain CREATE INDEX at night.',
      impact: { performance: 'fast build', consistency: 'none', scalability: 'none' },
      risk: 'medium',
      blockingSeconds: 240,
    },
  ],
  recommendation: { optionId: 'online', reason: 'writes never stop' },
  principles: ['availability first'],
  evidence: {},
  steps: [],
};

function statusWith(question: QuestionView, overrides: Partial<RequestStatusView> = {}): RequestStatusView {
  return {
    requestId: 'req-1',
    kind: 'change',
    title: 'Index <b>orders</b> & <@U0ADA>',
    target: 'shop',
    environment: 'production',
    requester: 'rita',
    state: 'awaiting-approval',
    phase: 'gates',
    questions: [question],
    timeline: [],
    artifacts: {},
    ...overrides,
  };
}

describe('the notifier (the workflow notify activity) over real SMTP and a recorded Slack Web API', () => {
  let store: { pool: Pool; close(): Promise<void> };
  let slackApi: SlackApiStandIn;
  let smtp: SmtpInbox;
  let notify: (n: StatusNotification) => Promise<void>;
  let question: QuestionView;

  beforeAll(async () => {
    store = await createTestStore();
    slackApi = await startSlackApiStandIn();
    smtp = await startSmtpInbox();
    const { mailer } = smtp;
    const slack = new WebClient('xoxb-test', { slackApiUrl: `${slackApi.url}/api/` });
    notify = createNotifier({
      store: store.pool,
      policy: loadPolicy(),
      mailer,
      slack,
      slackChannel: 'C0APPROVALS',
      webBaseUrl: WEB,
      tokenKeys: KEYS,
    });
    const escalation = await putArtifact(store.pool, 'escalation', 'application/json', JSON.stringify(ESCALATION));
    question = {
      id: 'SW-ESC-LOCK:orders',
      trigger: 'SW-ESC-LOCK',
      problem: ESCALATION.problem,
      options: [
        { id: 'online', title: 'Build it CONCURRENTLY', risk: 'low', blockingSeconds: 0 },
        { id: 'window', title: 'Maintenance window', risk: 'medium', blockingSeconds: 240 },
        { id: 'reject', title: 'Reject the request', risk: 'none', blockingSeconds: null },
      ],
      recommendation: ESCALATION.recommendation,
      state: 'open',
      votes: [],
      quorum: 1,
      askedTo: ['ann', 'bob'],
      raisedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      remindersSent: 0,
      escalation,
    };
  });
  afterAll(async () => {
    await smtp?.close();
    await slackApi?.close();
    await store?.close();
  });

  it('mails each approver the question in HTML and text, with the impacts and a signed link per option', async () => {
    await notify({
      kind: 'question',
      requestId: 'req-1',
      recipients: ['ann', 'bob'],
      questionId: question.id,
      summary: question.problem,
      status: statusWith(question),
    });
    await waitFor('two question mails', () => (smtp.mails.length >= 2 ? true : undefined));
    const byRecipient = new Map(smtp.mails.map((mail) => [(mail.to as { text: string }).text, mail]));
    expect([...byRecipient.keys()].sort()).toEqual(['ann@example.test', 'bob@example.test']);
    const mail = byRecipient.get('ann@example.test')!;
    expect(mail.subject).toBe('[schemawright] Decision needed: Index <b>orders</b> & <@U0ADA> (shop/production)');
    expect(mail.headers.get('x-schemawright-request')).toBe('req-1');
    for (const body of [mail.text!, mail.html as string]) {
      expect(body).toContain('CREATE INDEX on orders (50M rows) blocks writes for about 4 minutes');
      expect(body).toContain('No write lock; takes longer.');
      expect(body).toContain('Performance: slower build');
      expect(body).toContain('writes never stop');
    }
    expect(mail.html).toContain('Index &lt;b&gt;orders&lt;/b&gt; &amp; &lt;@U0ADA&gt;');
    const links = [...mail.text!.matchAll(/Choose: (\S+)/g)].map((m) => new URL(m[1]));
    expect(links.map((l) => l.searchParams.get('option'))).toEqual(['online', 'window', 'reject']);
    expect(links.every((l) => l.origin === WEB && l.pathname === '/decide')).toBe(true);
    expect(verifyToken(KEYS, links[0].searchParams.get('token')!)).toMatchObject({
      requestId: 'req-1',
      questionId: question.id,
      person: 'ann',
      expiresAt: Math.floor(Date.parse(question.expiresAt) / 1000),
    });
    const { rows } = await store.pool.query(
      'SELECT person FROM approval_tokens WHERE request_id = $1 ORDER BY person',
      ['req-1'],
    );
    expect(rows).toEqual([{ person: 'ann' }, { person: 'bob' }]);
  });

  it('posts a root message to the channel and the escalation in its thread, with a button per option, reject and the report', async () => {
    const root = await threadOf(store.pool, 'req-1');
    expect(root?.channel).toBe('C0APPROVALS');
    const [rootPost, questionPost] = slackApi.callsTo('chat.postMessage');
    expect(rootPost.args.channel).toBe('C0APPROVALS');
    expect(rootPost.args.thread_ts).toBeUndefined();
    expect(JSON.stringify(rootPost.args.blocks)).toContain('Index &lt;b&gt;orders&lt;/b&gt; &amp; &lt;@U0ADA&gt;');
    // The top-level text is what notifications show: escaped like the blocks.
    expect(rootPost.args.text).toBe('Index &lt;b&gt;orders&lt;/b&gt; &amp; &lt;@U0ADA&gt;: awaiting-approval (gates)');
    expect(questionPost.args.text).toBe(
      'Decision needed: Index &lt;b&gt;orders&lt;/b&gt; &amp; &lt;@U0ADA&gt;: CREATE INDEX on orders (50M rows) blocks writes for about 4 minutes',
    );
    expect(questionPost.args.thread_ts).toBe(root!.ts);
    const blocks = questionPost.args.blocks as {
      type: string;
      elements?: { action_id: string; value?: string; url?: string; style?: string }[];
      text?: { text: string };
    }[];
    expect(blocks.some((b) => b.text?.text.includes('<@U0ANN> <@U0BOB>'))).toBe(true);
    const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => [b.action_id, b.style])).toEqual([
      ['decide:online', 'primary'],
      ['decide:window', undefined],
      ['decide:reject', 'danger'],
      ['open-report', undefined],
    ]);
    expect(JSON.parse(buttons[1].value!)).toEqual({
      requestId: 'req-1',
      questionId: question.id,
      optionId: 'window',
      recommended: false,
    });
    expect(buttons[3].url).toBe(`${WEB}/requests/req-1`);
    expect(JSON.stringify(blocks)).toContain('Performance: slower build');
  });

  it('after a decision, updates the question message to show who chose what, and the root message', async () => {
    const decided: QuestionView = {
      ...question,
      state: 'decided',
      chosenOptionId: 'window',
      votes: [
        {
          person: 'ann',
          optionId: 'window',
          channel: 'email',
          comment: 'night is <quiet>',
          at: new Date().toISOString(),
        },
      ],
    };
    const updatesBefore = slackApi.callsTo('chat.update').length;
    await notify({
      kind: 'decided',
      requestId: 'req-1',
      recipients: ['rita', 'ann', 'bob'],
      questionId: question.id,
      summary: 'ann chose window',
      status: statusWith(decided),
    });
    const updates = slackApi.callsTo('chat.update').slice(updatesBefore);
    const questionMessage = await questionMessageOf(store.pool, 'req-1', question.id);
    const questionUpdate = updates.find((u) => u.args.ts === questionMessage!.ts)!;
    const text = JSON.stringify(questionUpdate.args.blocks);
    expect(text).toContain('ann chose *Maintenance window* via email: “night is &lt;quiet&gt;”');
    expect(text).not.toContain('"actions"');
    expect(smtp.mails.filter((m) => m.subject?.includes('decided'))).toEqual([]);
  });

  it('a retried notification delivers only what failed the first time', async () => {
    const status = statusWith(question, { requestId: 'req-2' });
    const notification: StatusNotification = {
      kind: 'question',
      requestId: 'req-2',
      recipients: ['ann'],
      questionId: question.id,
      summary: question.problem,
      status,
    };
    const mailsBefore = smtp.mails.length;
    const postsBefore = slackApi.callsTo('chat.postMessage').length;
    slackApi.failNext('chat.update');
    await expect(notify(notification)).rejects.toThrow(
      /^notifying question on request req-2 failed: An API error occurred: internal_error$/,
    );
    await waitFor('the first mail', () => (smtp.mails.length > mailsBefore ? true : undefined));
    await notify(notification);
    await notify(notification);
    const posts = slackApi.callsTo('chat.postMessage').slice(postsBefore);
    // the root once, the question once; and ann's mail once, though the activity ran three times
    expect(posts.map((p) => (p.args.thread_ts ? 'question' : 'root'))).toEqual(['root', 'question']);
    const { rows } = await store.pool.query('SELECT count(*)::int AS n FROM approval_tokens WHERE request_id = $1', [
      'req-2',
    ]);
    expect(rows[0].n).toBe(1);
    expect(
      smtp.mails.slice(mailsBefore).filter((m) => m.headers.get('x-schemawright-request') === 'req-2'),
    ).toHaveLength(1);
  });

  it('mails the final result to everyone involved and closes the root message', async () => {
    const before = smtp.mails.length;
    const done = statusWith(
      {
        ...question,
        state: 'decided',
        chosenOptionId: 'online',
        votes: [{ person: 'bob', optionId: 'online', channel: 'slack', at: new Date().toISOString() }],
      },
      { state: 'completed', phase: 'done', outcome: 'applied 1 of 1 step(s) in 40 ms; verified' },
    );
    await notify({
      kind: 'completed',
      requestId: 'req-1',
      recipients: ['rita', 'ann', 'bob'],
      summary: 'done',
      status: done,
    });
    await waitFor('three result mails', () => (smtp.mails.length >= before + 3 ? true : undefined));
    const result = smtp.mails.slice(before);
    expect(result.map((m) => m.subject)).toEqual(
      Array(3).fill('[schemawright] Completed: Index <b>orders</b> & <@U0ADA> (shop/production)'),
    );
    expect(result[0].text).toContain('applied 1 of 1 step(s) in 40 ms; verified');
    expect(result[0].text).toContain('SW-ESC-LOCK:orders: bob chose Build it CONCURRENTLY via slack');
    const lastRootUpdate = slackApi.callsTo('chat.update').at(-1)!;
    expect(JSON.stringify(lastRootUpdate.args.blocks)).toContain('*completed*');
  });

  it('in the embedded default (no SMTP_URL), a worker’s notifier mails the local capture that /inbox shows', async () => {
    const capture = await startMailCapture(store.pool, 0);
    const env = readEnvironment({
      SCHEMAWRIGHT_HOME: mkdtempSync(join(tmpdir(), 'sw-home-')),
      SCHEMAWRIGHT_MAIL_CAPTURE_PORT: String(capture.port),
      SCHEMAWRIGHT_WEB_URL: 'http://localhost:9/',
    });
    const notifier = openNotifier(env, store.pool);
    try {
      await notifier.notify({
        kind: 'question',
        requestId: 'req-3',
        recipients: ['bob'],
        questionId: question.id,
        summary: question.problem,
        status: statusWith(question, { requestId: 'req-3' }),
      });
      const [mail] = await capturedMail(store.pool, { to: 'bob@example.test' });
      expect(mail.subject).toBe('[schemawright] Decision needed: Index <b>orders</b> & <@U0ADA> (shop/production)');
      expect(mail.text).toContain('Choose: http://localhost:9/decide?token=');
      expect(mail.html).toContain('Choose: Build it CONCURRENTLY</a>');
    } finally {
      notifier.close();
      await capture.close();
    }
  });

  it('with SLACK_BOT_TOKEN but no SLACK_SIGNING_SECRET, a worker’s notifier leaves Slack off, as the web server does', async () => {
    const capture = await startMailCapture(store.pool, 0);
    const env = readEnvironment({
      SCHEMAWRIGHT_HOME: mkdtempSync(join(tmpdir(), 'sw-home-')),
      SCHEMAWRIGHT_MAIL_CAPTURE_PORT: String(capture.port),
      SCHEMAWRIGHT_WEB_URL: 'http://localhost:9/',
      SLACK_BOT_TOKEN: 'xoxb-no-secret',
      SLACK_CHANNEL: 'C0APPROVALS',
    });
    const notifier = openNotifier(env, store.pool);
    try {
      // With Slack on, this would post to slack.com with a made-up token and fail.
      await notifier.notify({
        kind: 'question',
        requestId: 'req-4',
        recipients: ['bob'],
        questionId: question.id,
        summary: question.problem,
        status: statusWith(question, { requestId: 'req-4' }),
      });
      const [mail] = await capturedMail(store.pool, { to: 'bob@example.test' });
      expect(mail.text).toContain('Choose: http://localhost:9/decide?token=');
    } finally {
      notifier.close();
      await capture.close();
    }
  });
});
