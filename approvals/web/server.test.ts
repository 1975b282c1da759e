import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import nodemailer from 'nodemailer';
import type { Pool } from 'pg';
import { queryAudit } from '../../store/audit';
import { waitFor } from '../../stack/wait';
import { atGate, requestHarness, statusWhen, type RequestHarness } from '../../test/support/requests';
import { connectTemporal, createTestStore, uniqueName, type TemporalConnections } from '../../test/support/stack';
import type { RequestStatusView } from '../../workflows/design-request-messages';
import { startMailCapture, type MailCapture } from '../email/capture';
import { claimToken, csrfFor, issueToken, parseTokenKeys, signToken } from '../email/tokens';
import { loadPolicy } from '../policy';
import { parseApiTokens } from './http';
import { requestPage } from './pages';
import { createWebServer, listen } from './server';

const KEYS = parseTokenKeys(`k1:${'w'.repeat(40)}`);
const RITA = 'rita-token-0123456789';
const ANN = 'ann-token-0123456789';

describe('the approvals web server over real HTTP, with the real workflow and store', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let server: Server;
  let capture: MailCapture;
  let base: string;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool);
    capture = await startMailCapture(store.pool, 0);
    server = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: KEYS,
      apiTokens: parseApiTokens(`rita:${RITA},ann:${ANN}`),
      inbox: true,
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await capture?.close();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  const api = (path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function startViaApi(): Promise<string> {
    const response = await api('/api/requests', RITA, {
      kind: 'change',
      title: 'add a <note>',
      target: harness.target.name,
      environment: 'production',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
      clientRequestId: uniqueName('web'),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { requestId: string; started: boolean; url: string };
    expect(body.started).toBe(true);
    return body.requestId;
  }

  /** A request waiting for its approval question (the harness target is empty: the SQL must not need a table). */
  async function startAtGate(): Promise<{ requestId: string; question: RequestStatusView['questions'][number] }> {
    const response = await api('/api/requests', RITA, {
      kind: 'change',
      target: harness.target.name,
      environment: 'production',
      source: { format: 'sql', text: 'CREATE TABLE note (id bigint PRIMARY KEY);' },
    });
    const { requestId } = (await response.json()) as { requestId: string };
    const [question] = (await statusWhen(harness.services, requestId, 'the approval question', atGate, 30_000))
      .questions;
    return { requestId, question };
  }

  it('a path with a broken %-escape is a bad request, and the server keeps serving', async () => {
    const bad = await fetch(`${base}/requests/%E0%A4%A`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('Bad request: URI malformed\n');
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('API: no bearer token or an unknown one is refused with how to get one', async () => {
    expect(await (await api('/api/requests/x', undefined)).json()).toEqual({
      error: 'send Authorization: Bearer <token> (tokens are set in SCHEMAWRIGHT_API_TOKENS)',
    });
    const unknown = await api('/api/requests', 'not-a-known-token-at-all', { kind: 'change' });
    expect(unknown.status).toBe(401);
    const refused = (await queryAudit(store.pool, { actor: 'unknown' })).filter((e) => e.channel === 'api');
    expect(refused.map((e) => [e.kind, e.requestId, e.target, e.data.action, e.data.reason])).toEqual([
      [
        'refused',
        'x',
        'unknown',
        'status',
        'send Authorization: Bearer <token> (tokens are set in SCHEMAWRIGHT_API_TOKENS)',
      ],
      [
        'refused',
        '-',
        'unknown',
        'start',
        'this bearer token is not known: ask an admin for one (SCHEMAWRIGHT_API_TOKENS)',
      ],
    ]);
  });

  it('API: bad input is refused with every problem named; nothing starts', async () => {
    const response = await api('/api/requests', RITA, {
      kind: 'chnage',
      target: harness.target.name,
      environment: 'production',
      source: { format: 'sql', text: 'SELECT 1' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe(
      "the request was not started: kind must be design, change, review or revert (got 'chnage')",
    );
  });

  it('API: a kind with a source it does not start from is refused with what to start instead', async () => {
    const start = (kind: string, source: { format: string; text: string }) =>
      api('/api/requests', RITA, { kind, target: harness.target.name, environment: 'production', source });
    const refusals = [
      [
        await start('design', { format: 'sql', text: 'SELECT 1;' }),
        "a design request starts from a spec (source format 'spec'), not 'sql': start a change request for SQL",
      ],
      [
        await start('change', { format: 'spec', text: 'tables: {}' }),
        "a change request starts from SQL or migrations (source format 'sql' or 'migrations'), not a spec: start a design request for a spec",
      ],
      [
        await start('review', { format: 'sql', text: 'SELECT 1;' }),
        'a review request analyses the target as it is and takes no spec or SQL: leave the source empty, or start a change (SQL) or design (spec) request',
      ],
    ] as const;
    for (const [response, problem] of refusals) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe(`the request was not started: ${problem}`);
    }
  });

  it('API: a title or a decision comment with a NUL character is refused with how to fix it, and the refusal is audited', async () => {
    const kickoff = await api('/api/requests', RITA, {
      kind: 'change',
      title: 'a\u0000b',
      target: harness.target.name,
      environment: 'production',
      source: { format: 'sql', text: 'SELECT 1;' },
    });
    expect(kickoff.status).toBe(400);
    expect(((await kickoff.json()) as { error: string }).error).toBe(
      'the request was not started: the title contains a NUL character (U+0000), which cannot be stored: remove it and try again',
    );
    const { requestId, question } = await startAtGate();
    const decision = await api(`/api/requests/${requestId}/decisions`, ANN, {
      questionId: question.id,
      optionId: question.options[0].id,
      comment: 'fine\u0000',
    });
    expect(decision.status).toBe(403);
    expect(await decision.json()).toEqual({
      error: 'the comment contains a NUL character (U+0000), which cannot be stored: remove it and try again',
    });
    const audit = await queryAudit(store.pool, { requestId });
    expect(audit.filter((e) => e.kind === 'refused').map((e) => [e.actor, e.data.comment])).toEqual([
      ['ann', 'fine\uFFFD'],
    ]);
  });

  it('API: starts a request as the bearer, shows its status, and the request page lists it', async () => {
    const requestId = await startViaApi();
    const view = await waitFor('status over the API', async () => {
      const response = await api(`/api/requests/${requestId}`, ANN);
      return response.status === 200 ? ((await response.json()) as RequestStatusView) : undefined;
    });
    expect(view).toMatchObject({ requestId, requester: 'rita', title: 'add a <note>', target: harness.target.name });
    const html = await (await fetch(`${base}/requests/${requestId}`)).text();
    expect(html).toContain('add a &lt;note&gt;');
    expect(html).toContain('requested by rita');
    expect((await api('/api/requests/no-such-request', ANN)).status).toBe(404);
  });

  it('API: a decision the workflow refuses comes back with its reason (409: the request is not at its gates), and is audited', async () => {
    const requestId = await startViaApi();
    const response = await api(`/api/requests/${requestId}/decisions`, ANN, {
      questionId: 'approve',
      optionId: 'apply',
    });
    expect(response.status).toBe(409);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(
      new RegExp(`^request ${requestId} is not waiting for decisions \\(it is running, phase \\w+\\)$`),
    );
    const audit = await queryAudit(store.pool, { requestId });
    expect(audit.filter((e) => e.kind === 'refused').map((e) => [e.actor, e.channel, e.target, e.data.reason])).toEqual(
      [['ann', 'api', harness.target.name, error]],
    );
  });

  it('decision page: a tampered link, an expired one and a used one are refused with what to do', async () => {
    const expires = Math.floor(Date.now() / 1000) + 600;
    const { token, claims } = await issueToken(store.pool, KEYS, {
      requestId: 'r-x',
      questionId: 'approve',
      person: 'ann',
      expiresAt: expires,
    });
    const tampered = token.replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ j: claims.jti, r: 'r-x', q: 'approve', p: 'bob', e: expires })).toString('base64url')}.`,
    );
    const bad = await fetch(`${base}/decide?token=${encodeURIComponent(tampered)}&option=apply`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('This link was altered and is not valid');

    const expired = signToken(KEYS, { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 5 });
    const late = await fetch(`${base}/decide?token=${encodeURIComponent(expired)}`);
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('This link expired at');

    await claimToken(store.pool, claims, 'apply');
    const used = await fetch(`${base}/decide?token=${encodeURIComponent(token)}`);
    expect(used.status).toBe(410);
    expect(await used.text()).toContain('to choose &#39;apply&#39;. Each link decides once.');
  });

  it('decision page: a cookie of another application that does not decode is skipped, and the page keeps its own', async () => {
    const { requestId, question } = await startAtGate();
    const { token } = await issueToken(store.pool, KEYS, {
      requestId,
      questionId: question.id,
      person: 'ann',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    const response = await fetch(`${base}/decide?token=${encodeURIComponent(token)}`, {
      headers: { cookie: 'other=%E0%A4%A; sw_csrf=n0nce' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/^sw_csrf=n0nce;/);
  });

  it('decision page: a POST without the CSRF value of the page is refused and claims nothing', async () => {
    const { token, claims } = await issueToken(store.pool, KEYS, {
      requestId: 'r-y',
      questionId: 'approve',
      person: 'ann',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    const response = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'sw_csrf=forged' },
      body: new URLSearchParams({ token, option: 'apply', csrf: 'forged' }).toString(),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('missing or wrong CSRF token');
    const { rows } = await store.pool.query('SELECT used_at FROM approval_tokens WHERE jti = $1', [claims.jti]);
    expect(rows).toEqual([{ used_at: null }]);
    const refused = await queryAudit(store.pool, { requestId: 'r-y' });
    expect(refused.map((e) => [e.kind, e.actor, e.channel, e.data.option, e.data.reason])).toEqual([
      ['refused', 'ann', 'email', 'apply', expect.stringContaining('missing or wrong CSRF token')],
    ]);
  });

  it('decision page: a POST with a tampered, an expired or a used link is refused and audited, as its signer when the signature holds', async () => {
    const expires = Math.floor(Date.now() / 1000) + 600;
    const { token, claims } = await issueToken(store.pool, KEYS, {
      requestId: 'r-z',
      questionId: 'approve',
      person: 'ann',
      expiresAt: expires,
    });
    const post = (link: string) =>
      fetch(`${base}/decide`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'sw_csrf=n0nce' },
        body: new URLSearchParams({
          token: link,
          option: 'apply',
          csrf: csrfFor(KEYS, 'n0nce', claims.jti),
        }).toString(),
      });
    const tampered = token.replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ j: claims.jti, r: 'r-z', q: 'approve', p: 'bob', e: expires })).toString('base64url')}.`,
    );
    expect((await post(tampered)).status).toBe(400);
    expect((await post(signToken(KEYS, { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 5 }))).status).toBe(410);
    await claimToken(store.pool, claims, 'reject');
    expect((await post(token)).status).toBe(410);

    const tamperedEntry = (await queryAudit(store.pool, { requestId: '-' })).filter((e) => e.channel === 'email');
    expect(tamperedEntry.map((e) => [e.actor, e.data.reason])).toEqual([
      ['unknown', 'This link was altered and is not valid: open it again from the email, unchanged.'],
    ]);
    const signed = await queryAudit(store.pool, { requestId: 'r-z' });
    expect(signed.map((e) => [e.kind, e.actor, e.channel, e.data.question, e.data.reason])).toEqual([
      ['refused', 'ann', 'email', 'approve', expect.stringMatching(/^This link expired at /)],
      [
        'refused',
        'ann',
        'email',
        'approve',
        expect.stringMatching(/^This link was already used at .* to choose 'reject': each link decides once\.$/),
      ],
    ]);
  });

  it('inbox: refused to a browser on another machine, even with the server listening on every interface', async () => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    expect(lan).toBeDefined(); // the test needs an address other than loopback to come from
    const everywhere = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: KEYS,
      apiTokens: new Map(),
      inbox: true,
    });
    try {
      const port = await listen(everywhere, 0, '0.0.0.0');
      const remote = await fetch(`http://${lan!.address}:${port}/inbox`);
      expect(remote.status).toBe(403);
      expect(await remote.text()).toContain('shown only on the machine that runs schemawright');
      expect((await fetch(`http://${lan!.address}:${port}/inbox/1`)).status).toBe(403);
      expect((await fetch(`http://127.0.0.1:${port}/inbox`)).status).toBe(200);
    } finally {
      everywhere.close();
      everywhere.closeAllConnections();
    }
  });

  it('inbox: mail sent to the local capture is listed and readable, its HTML in a sandboxed frame', async () => {
    const mailer = nodemailer.createTransport({
      host: '127.0.0.1',
      port: capture.port,
      secure: false,
      ignoreTLS: true,
    });
    await mailer.sendMail({
      from: 'schemawright@localhost',
      to: 'ann@example.test',
      subject: 'Decision <needed>',
      text: 'Choose: http://x.test/decide?token=t',
      html: '<p>Choose <script>alert(1)</script></p>',
    });
    const list = await waitFor('the mail in the inbox', async () => {
      const html = await (await fetch(`${base}/inbox`)).text();
      return html.includes('Decision &lt;needed&gt;') ? html : undefined;
    });
    const id = /href="\/inbox\/(\d+)"/.exec(list)![1];
    const mail = await (await fetch(`${base}/inbox/${id}`)).text();
    expect(mail).toContain('<a href="http://x.test/decide?token=t">');
    expect(mail).toContain('<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"');
    expect(mail).not.toContain('<script>alert(1)</script>');
  });

  it('inbox: a mail is readable by its id however many came after it', async () => {
    const { rows } = await store.pool.query<{ id: string }>(
      "INSERT INTO captured_mail (mail_from, rcpt_to, subject, text_body) VALUES ('a@x.test', '{b@x.test}', 'Older mail', 'the one to read') RETURNING id",
    );
    await store.pool.query(
      "INSERT INTO captured_mail (mail_from, rcpt_to, subject, text_body) SELECT 'a@x.test', '{b@x.test}', 'newer ' || n, '' FROM generate_series(1, 1001) AS n",
    );
    const mail = await fetch(`${base}/inbox/${rows[0].id}`);
    expect(mail.status).toBe(200);
    expect(await mail.text()).toContain('the one to read');
    expect((await fetch(`${base}/inbox/99999999999999999999`)).status).toBe(404);
  });

  it('request page: one Mermaid diagram per ```mermaid block of the ERD document, and everything a person or a database wrote escaped', () => {
    const html = requestPage({
      status: {
        requestId: 'r1',
        kind: 'design',
        title: '<img src=x onerror=alert(1)>',
        target: 'shop',
        environment: 'dev',
        requester: 'rita',
        state: 'completed',
        phase: 'done',
        questions: [],
        timeline: [{ at: 't', event: 'phase analysis' }],
        artifacts: {},
      },
      findings: [
        {
          phase: 'review',
          findings: [{ id: 'SW-A-NO-PK', severity: 'warning', message: 'table "x<y>" has no primary key' } as never],
        },
      ],
      erd: '# shop: entity-relationship diagrams\n\n## Proposed schema\n\n```mermaid\nerDiagram\n  customer ||--o{ order : "places <many>"\n```\n\n## Current schema of the target\n\n```mermaid\nerDiagram\n  customer {\n    bigint id PK\n  }\n```\n',
      details: [],
    });
    expect([...html.matchAll(/<pre class="mermaid">([^<]*)<\/pre>/g)].map((m) => m[1])).toEqual([
      'erDiagram\n  customer ||--o{ order : &quot;places &lt;many&gt;&quot;\n',
      'erDiagram\n  customer {\n    bigint id PK\n  }\n',
    ]);
    expect(html).toContain('<figcaption>Current schema of the target</figcaption>');
    expect(html).not.toContain('# shop');
    expect(html).toContain('<script src="/assets/mermaid.min.js" defer="">');
    expect(html).not.toMatch(/<script>|<script type="module">|https?:\/\/cdn/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('1 warning');
    expect(html).toContain('table &quot;x&lt;y&gt;&quot; has no primary key');
  });
});
