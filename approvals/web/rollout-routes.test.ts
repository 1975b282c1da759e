import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { listRollouts, rolloutStatusOf, startRollout } from '../rollouts';
import { queryAudit } from '../../store/audit';
import { waitFor } from '../../stack/wait';
import {
  openQuestion,
  rolloutEnded,
  rolloutHarness,
  rolloutWhen,
  type RolloutHarness,
} from '../../test/support/rollouts';
import { connectTemporal, createTestStore, uniqueName, type TemporalConnections } from '../../test/support/stack';
import { RequestKind, RequestTarget, RolloutId } from '../../workflows/search-attributes';
import { issueToken, parseTokenKeys, signToken } from '../email/tokens';
import { loadPolicy } from '../policy';
import { parseApiTokens } from './http';
import { issueRolloutLink } from './rollout-routes';
import { createWebServer, listen } from './server';

const KEYS = parseTokenKeys(`k1:${'r'.repeat(40)}`);
const RITA = 'rita-token-0123456789';
const ANN = 'ann-token-0123456789';
const HOSTILE_TITLE = 'notes <script>alert(1)</script>';

describe('a rollout over real HTTP: its page, its forms and its API reach the real rollout workflow', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RolloutHarness;
  let server: Server;
  let base: string;
  const group = uniqueName('webgroup');

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await rolloutHarness(temporal, store.pool, {
      databases: 2,
      setup: 'CREATE TABLE orders (id bigint PRIMARY KEY)',
      groups: (names) => [
        {
          name: group,
          stages: [{ environment: 'dev', targets: names, waves: ['rest'], maxFailures: 0, pauseSeconds: 0 }],
        },
      ],
    });
    server = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: KEYS,
      apiTokens: parseApiTokens(`rita:${RITA},ann:${ANN}`),
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  const api = (path: string, token: string | undefined, body?: unknown) =>
    fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Opens the page with a link as a browser does: its cookie and the form's CSRF value. */
  async function openWithLink(url: string): Promise<{ html: string; cookie: string; csrf: string; token: string }> {
    const response = await fetch(url.replace('http://web.test', base));
    expect(response.status).toBe(200);
    const html = await response.text();
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const token = decodeURIComponent(new URL(url).searchParams.get('token')!);
    return { html, cookie, csrf, token };
  }

  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  const refusals = async (rolloutId: string) =>
    (await queryAudit(store.pool, { requestId: rolloutId })).filter((e) => e.kind === 'refused');

  it('a pause from the page and a decision from its form reach the workflow and are audited; forged, cross-site and reused posts are refused and audited', async () => {
    const { services } = harness;
    const { rolloutId } = await startRollout(services, {
      group,
      title: HOSTILE_TITLE,
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    const question = asked.questions[0]!;
    const page = `/rollouts/${encodeURIComponent(rolloutId)}`;

    // The page, without a link: the grid and the question, escaped, and no form.
    const plain = await (await fetch(`${base}${page}`)).text();
    expect(plain).not.toContain('<script>alert(1)');
    expect(plain).toContain('notes &lt;script&gt;alert(1)&lt;/script&gt;');
    for (const name of harness.databases) expect(plain).toContain(`<td>${name}</td>`);
    expect(plain).toContain(question.id);
    expect(plain).not.toContain('<form method="post"');

    // Rita's link: the controls, for her, once.
    const rita = await openWithLink(await issueRolloutLink(store.pool, KEYS, 'http://web.test', rolloutId, 'rita'));
    expect(rita.html).toContain('As rita');
    const pause = { token: rita.token, csrf: rita.csrf, action: 'pause' };

    // A tampered token, a post without the page's cookie, one from another site, another rollout's link: refused before the workflow.
    const [kid, payload] = rita.token.split('.');
    const forged = `${kid}.${Buffer.from(JSON.stringify({ j: 'x', r: rolloutId, q: 'rollout', p: 'ada', e: 2e9 })).toString('base64url')}.${'A'.repeat(43)}`;
    expect(payload).toBeTruthy();
    expect((await post(`${page}/controls`, { ...pause, token: forged }, { cookie: rita.cookie })).status).toBe(400);
    expect((await post(`${page}/controls`, pause)).status).toBe(403);
    expect((await post(`${page}/controls`, pause, { cookie: rita.cookie, origin: 'http://evil.test' })).status).toBe(
      403,
    );
    const elsewhere = signToken(KEYS, {
      jti: 'j',
      requestId: 'another',
      questionId: 'rollout',
      person: 'rita',
      expiresAt: 2e9,
    });
    expect((await post(`${page}/controls`, { ...pause, token: elsewhere }, { cookie: rita.cookie })).status).toBe(403);
    // An email link for a request's question is not a rollout link either.
    const { token: requestLink } = await issueToken(store.pool, KEYS, {
      requestId: rolloutId,
      questionId: question.id,
      person: 'ann',
      expiresAt: 2e9,
    });
    expect(
      (await post(`${page}/decisions`, { token: requestLink, csrf: 'x', question: question.id, option: 'apply' }))
        .status,
    ).toBe(403);
    // Each is audited: as the link's person when its signature holds.
    const refused = await refusals(rolloutId);
    expect(refused.map((e) => [e.actor, (e.data as { reason: string }).reason.split(/[:(]/)[0]!.trim()])).toEqual([
      ['unknown', 'This link was altered and is not valid'],
      ['rita', "This form did not come from the rollout's page"],
      ['rita', 'This form was posted from http'],
      ['rita', `This link is not for rollout ${rolloutId}`],
      ['ann', `This link is not for rollout ${rolloutId}`],
    ]);
    expect((await rolloutStatusOf(services, rolloutId)).paused).toBe(false);

    // From the page, with its cookie and CSRF value: the pause reaches the workflow, audited as rita's.
    const paused = await post(`${page}/controls`, pause, { cookie: rita.cookie, origin: base });
    expect(paused.status).toBe(200);
    expect(await paused.text()).toContain('Control recorded');
    await rolloutWhen(services, rolloutId, 'paused', (v) => v.paused);
    const control = (await queryAudit(store.pool, { requestId: rolloutId })).find((e) => e.kind === 'control');
    expect(control).toMatchObject({ actor: 'rita', data: { action: 'pause' } });
    // The link acted once.
    expect((await post(`${page}/controls`, { ...pause, action: 'resume' }, { cookie: rita.cookie })).status).toBe(410);

    // The requester may not approve her own rollout, from the API either; the bearer token names the person.
    expect(
      (await api(`/api/rollouts/${rolloutId}/decisions`, undefined, { questionId: question.id, optionId: 'apply' }))
        .status,
    ).toBe(401);
    const self = await api(`/api/rollouts/${rolloutId}/decisions`, RITA, {
      questionId: question.id,
      optionId: 'apply',
    });
    expect(self.status).toBe(403);

    // Ann decides from the page with her link; rita resumes from the API: both reach the workflow.
    const ann = await openWithLink(await issueRolloutLink(store.pool, KEYS, 'http://web.test', rolloutId, 'ann'));
    const decided = await post(
      `${page}/decisions`,
      { token: ann.token, csrf: ann.csrf, question: question.id, option: 'apply', comment: 'fine' },
      { cookie: ann.cookie },
    );
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain('ann chose &#39;apply&#39;');
    const resumed = await api(`/api/rollouts/${rolloutId}/controls`, RITA, { action: 'resume' });
    expect(resumed.status).toBe(200);
    const ended = await rolloutWhen(services, rolloutId, 'ended', rolloutEnded);
    expect(ended.state).toBe('completed');
    expect(ended.targets.map((t) => t.state)).toEqual(['applied', 'applied']);
    const status = (await (await api(`/api/rollouts/${rolloutId}`, ANN)).json()) as { state: string };
    expect(status.state).toBe('completed');

    const log = await queryAudit(store.pool, { requestId: rolloutId });
    expect(log.filter((e) => e.kind === 'decision').map((e) => e.actor)).toEqual(['ann']);
    expect(
      log.filter((e) => e.kind === 'control').map((e) => [e.actor, (e.data as { action: string }).action]),
    ).toEqual([
      ['rita', 'pause'],
      ['rita', 'resume'],
    ]);
  });

  it('lists rollouts and their children by search attributes, through Temporal visibility', async () => {
    const { services } = harness;
    const { rolloutId } = await startRollout(services, {
      group,
      title: 'listed',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN listed text;' },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    const awaiting = await waitFor(
      'the rollout listed as awaiting approval',
      async () =>
        (await listRollouts(services, { group, status: 'awaiting-approval' })).find((r) => r.rolloutId === rolloutId),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(awaiting).toMatchObject({ group, requester: 'rita' });
    await api(`/api/rollouts/${rolloutId}/decisions`, ANN, { questionId: asked.questions[0]!.id, optionId: 'apply' });
    await rolloutWhen(services, rolloutId, 'ended', rolloutEnded);
    const done = await waitFor(
      'the rollout listed as completed in stage dev',
      async () =>
        (await listRollouts(services, { group, status: 'completed', stage: 'dev' })).find(
          (r) => r.rolloutId === rolloutId,
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(done.status).toBe('completed');
    // Each target's child carries its rollout and its target.
    const children = await waitFor(
      "the rollout's children listed by their rollout id",
      async () => {
        const found: string[] = [];
        const query = `${RolloutId.name} = '${rolloutId}' AND ${RequestKind.name} = 'rollout-target'`;
        for await (const child of services.temporal.workflow.list({ query }))
          found.push(child.typedSearchAttributes.get(RequestTarget) ?? '');
        return found.length === harness.databases.length ? found.sort() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(children).toEqual(harness.databases);
    // The list page shows it.
    const html = await (await fetch(`${base}/rollouts?group=${encodeURIComponent(group)}`)).text();
    expect(html).toContain(`href="/rollouts/${rolloutId}"`);
    expect(html).toContain('>listed</a>');
  });
});
