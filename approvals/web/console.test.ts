import type { Pool } from 'pg';
import { queryAudit } from '../../store/audit';
import { renderAudit } from '../../store/audit-format';
import { atGate, statusWhen, type RequestHarness } from '../../test/support/requests';
import {
  SLACK_SIGNING_SECRET,
  startApprovalsServer,
  TOKEN_KEY_SECRET,
  type ApprovalsServer,
} from '../../test/support/approvals-server';
import { uniqueName } from '../../test/support/stack';
import { issueToken, parseTokenKeys } from '../email/tokens';
import { decideRequest, type RequestSummary } from '../requests';
import { loadPolicy } from '../policy';
import { bodyVersion } from './pages';
import { PAGE_SIZE, requestListQuery, requestListView } from './request-list';
import { createWebServer, listen } from './server';

const KEYS = parseTokenKeys(`k:${TOKEN_KEY_SECRET}`);
const RITA = 'rita-console-token-0123456789';

const summary = (n: number, overrides: Partial<RequestSummary> = {}): RequestSummary => ({
  requestId: `r-${n}`,
  status: 'completed',
  kind: 'change',
  target: 'shop',
  environment: 'production',
  requester: 'rita',
  phase: 'done',
  startTime: new Date(Date.UTC(2026, 0, 1, 0, n)),
  ...overrides,
});

describe('the request list: filters and pages', () => {
  const summaries = [
    ...Array.from({ length: 30 }, (_, n) => summary(n)),
    summary(30, { kind: 'design', requester: 'bob', status: 'awaiting-approval', target: 'crm' }),
  ];
  const titles = new Map([
    ['r-3', 'Index the ORDERS table'],
    ['r-30', 'CRM from its spec'],
  ]);
  const view = (query: string) => requestListView(summaries, titles, requestListQuery(new URLSearchParams(query)));

  it(`pages of ${PAGE_SIZE}, in the order given; a page that is no number is the first`, () => {
    expect(view('').rows.map((r) => r.requestId)).toEqual(summaries.slice(0, PAGE_SIZE).map((s) => s.requestId));
    expect(view('page=2').rows.map((r) => r.requestId)).toEqual(['r-25', 'r-26', 'r-27', 'r-28', 'r-29', 'r-30']);
    expect([view('').pages, view('').matching]).toEqual([2, 31]);
    expect(view('page=x').rows[0]!.requestId).toBe('r-0');
    expect(view('page=9').rows).toEqual([]);
  });

  it('each filter keeps only what matches it; text looks in the title and the id, any case', () => {
    expect(view('state=awaiting-approval').rows.map((r) => r.requestId)).toEqual(['r-30']);
    expect(view('target=crm').rows.map((r) => r.requestId)).toEqual(['r-30']);
    expect(view('kind=design&requester=bob').rows.map((r) => r.requestId)).toEqual(['r-30']);
    expect(view('kind=design&requester=rita').rows).toEqual([]);
    expect(view('text=orders').rows.map((r) => [r.requestId, r.title])).toEqual([['r-3', 'Index the ORDERS table']]);
    expect(view('text=r-2').matching).toBe(11);
  });

  it('the selects offer the values there are', () => {
    expect(view('').choices).toEqual({
      state: ['awaiting-approval', 'completed'],
      target: ['crm', 'shop'],
      kind: ['change', 'design'],
      requester: ['bob', 'rita'],
    });
  });
});

describe('the web console over HTTP, with the real workflow and store', () => {
  let approvals: ApprovalsServer;
  let store: Pool;
  let harness: RequestHarness;
  let base: string;

  beforeAll(async () => {
    approvals = await startApprovalsServer({ apiTokens: `rita:${RITA}` });
    ({ base, harness } = approvals);
    store = approvals.store.pool;
  });
  afterAll(() => approvals?.close());

  async function start(title: string, sql: string): Promise<string> {
    const response = await fetch(`${base}/api/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RITA}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'change',
        title,
        target: harness.target.name,
        environment: 'production',
        source: { format: 'sql', text: sql },
        clientRequestId: uniqueName('console'),
      }),
    });
    return ((await response.json()) as { requestId: string }).requestId;
  }

  /** Reads server-sent events until `until` says stop; each event as its name and data. */
  async function readEvents(path: string, until: (event: { event: string; data: string }) => boolean) {
    const response = await fetch(`${base}${path}`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: { event: string; data: string }[] = [];
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .filter((l) => l.startsWith(`${name}: `) || l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).replace(/^ /, ''))
            .join('\n');
        events.push({ event: field('event'), data: field('data') });
        if (until(events.at(-1)!)) {
          await reader.cancel();
          return events;
        }
      }
    }
    return events;
  }

  it('a running request page follows the request by server-sent events until it ends', async () => {
    const requestId = await start('notes for the console', 'CREATE TABLE console_note (id bigint PRIMARY KEY);');
    const gate = await statusWhen(harness.services, requestId, 'the approval question', atGate, 60_000);
    const page = await (await fetch(`${base}/requests/${requestId}`)).text();
    const listening = /data-events="([^"]+)"/.exec(page)![1]!;
    expect(listening).toMatch(new RegExp(`^/requests/${requestId}/events\\?shown=`));
    const first = await readEvents(`/requests/${requestId}/events`, () => true);
    expect(first[0]!.event).toBe('status');
    expect(JSON.parse(first[0]!.data)).toMatchObject({ state: 'awaiting-approval' });
    expect(JSON.parse(first[0]!.data).html).toContain('<h2>Questions</h2>');

    // The page's own stream sends nothing for what the page shows already, then each change.
    const following = readEvents(listening, (e) => e.event === 'end');
    const [question] = gate.questions;
    await decideRequest(harness.services, requestId, {
      questionId: question!.id,
      optionId: question!.recommendation.optionId,
      person: 'ann',
      channel: 'cli',
    });
    const events = await following;
    expect(events.at(-1)).toEqual({ event: 'end', data: 'completed' });
    const states = events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).state as string);
    // What the page showed is never sent again (a vote counted before the stream looked is a change, though).
    const shown = new URL(listening, base).searchParams.get('shown');
    const versions = events.filter((e) => e.event === 'status').map((e) => bodyVersion(JSON.parse(e.data).html));
    expect(versions).not.toContain(shown);
    expect(states.at(-1)).toBe('completed');
    expect(JSON.parse(events.at(-2)!.data).html).toContain('ann chose');
    // An ended request's page does not listen.
    expect(await (await fetch(`${base}/requests/${requestId}`)).text()).not.toContain('data-events');
    expect((await fetch(`${base}/requests/no-such-request/events`)).status).toBe(404);
  });

  it('the list shows titles and filters over HTTP; the history filters, exports CSV, JSON and Markdown, and says the chain holds', async () => {
    const requestId = await start('add a <flag>', 'ALTER TABLE console_missing ADD COLUMN flag boolean;');
    await statusWhen(harness.services, requestId, 'an end', (v) => v.phase === 'done' || atGate(v), 60_000);
    const list = await (await fetch(`${base}/?text=${encodeURIComponent('<FLAG>')}`)).text();
    expect(list).toContain(`<a href="/requests/${requestId}">add a &lt;flag&gt;</a>`);
    expect(list).not.toContain('notes for the console');
    expect(list).toContain('1 request, page 1 of 1');

    const history = await (await fetch(`${base}/history?request=${requestId}&kind=request-created`)).text();
    expect(history).toContain('The chain holds');
    expect(history).toContain('1 entries.');
    const entries = await queryAudit(store, { requestId });
    for (const [format, type] of [
      ['csv', 'text/csv; charset=utf-8'],
      ['json', 'application/json; charset=utf-8'],
      ['markdown', 'text/markdown; charset=utf-8'],
    ] as const) {
      const answer = await fetch(`${base}/history/export?request=${requestId}&format=${format}`);
      expect([format, answer.status, answer.headers.get('content-type')]).toEqual([format, 200, type]);
      expect(answer.headers.get('content-disposition')).toMatch(/^attachment; filename="schemawright-decisions\./);
      expect(await answer.text()).toBe(renderAudit(entries, format));
    }
    const created = await fetch(`${base}/history/export?request=${requestId}&kind=request-created&format=json`);
    expect(((await created.json()) as { kind: string }[]).map((e) => e.kind)).toEqual(['request-created']);
    const today = new Date().toISOString().slice(0, 10);
    const dated = await fetch(`${base}/history/export?request=${requestId}&from=${today}&to=${today}&format=json`);
    expect(((await dated.json()) as unknown[]).length).toBe(entries.length);
    const before = await fetch(`${base}/history/export?request=${requestId}&to=2020-01-01&format=json`);
    expect(await before.json()).toEqual([]);
    const badFormat = await fetch(`${base}/history/export?format=xlsx`);
    expect([badFormat.status, await badFormat.text()]).toEqual([
      400,
      expect.stringContaining('format must be csv, json or markdown'),
    ]);
    const badDate = await fetch(`${base}/history?from=yesterday`);
    expect([badDate.status, await badDate.text()]).toEqual([
      400,
      expect.stringContaining('from must be a date as YYYY-MM-DD'),
    ]);
  });

  it('a plain Node handler mounted at a path answers GET there, with the security headers; other methods do not reach it', async () => {
    const server = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: KEYS,
      apiTokens: new Map(),
      mounts: { '/plain': (_req, res) => void res.end('requests_total 1\n') },
    });
    const mountedBase = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    try {
      const answer = await fetch(`${mountedBase}/plain`);
      expect([answer.status, await answer.text()]).toEqual([200, 'requests_total 1\n']);
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect((await fetch(`${mountedBase}/plain`, { method: 'POST', body: '' })).status).toBe(404);
      expect((await fetch(`${mountedBase}/plain/x`)).status).toBe(404);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('the target page reads only a target a request may name', async () => {
    const { rows } = await store.query<{ name: string }>('SELECT current_database() AS name');
    for (const name of [rows[0]!.name, 'postgres', 'nowhere']) {
      const answer = await fetch(`${base}/targets/${name}`);
      expect([name, answer.status]).toEqual([name, 404]);
    }
    const target = await (await fetch(`${base}/targets/${harness.target.name}`)).text();
    expect(target).toContain('<h2>Current schema</h2>');
    expect(target).toContain('<pre class="mermaid">erDiagram');
    expect(target).toContain('console_note');
  });

  it('no page, event or export shows a secret: API tokens, the link key, a live decision link, a database password', async () => {
    const requestId = await start('secrets stay out', 'CREATE TABLE console_secret (id bigint PRIMARY KEY);');
    const gate = await statusWhen(harness.services, requestId, 'the approval question', atGate, 60_000);
    const { token } = await issueToken(store, KEYS, {
      requestId,
      questionId: gate.questions[0]!.id,
      person: 'ann',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    const passwords = [harness.target.url, process.env.DATABASE_URL ?? '']
      .filter(Boolean)
      .map((url) => decodeURIComponent(new URL(url).password))
      .filter(Boolean);
    const secrets = [RITA, TOKEN_KEY_SECRET, SLACK_SIGNING_SECRET, token, token.split('.').at(-1)!, ...passwords];
    expect(passwords.length).toBeGreaterThan(0);
    const paths = [
      '/',
      `/requests/${requestId}`,
      '/history',
      '/history/export?format=csv',
      '/history/export?format=json',
      '/history/export?format=markdown',
      `/targets/${harness.target.name}`,
      `/targets/nowhere`,
      `/requests/${requestId}/artifacts/source`,
    ];
    const bodies = await Promise.all(paths.map(async (path) => [path, await (await fetch(`${base}${path}`)).text()]));
    bodies.push(['events', (await readEvents(`/requests/${requestId}/events`, () => true))[0]!.data]);
    for (const [path, body] of bodies)
      for (const secret of secrets) expect([path, body.includes(secret)]).toEqual([path, false]);
  });
});
