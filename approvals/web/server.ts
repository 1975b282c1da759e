import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { targetProblem } from '../../config/targets';
import { readTargetCatalog } from '../../postgres/target';
import { erdOfCatalog } from '../../activities/modeling/erd';
import { queryAudit, verifyAudit } from '../../store/audit';
import type { AuditPublicKey } from '../../store/audit-key';
import { verifyAnchoredAudit } from '../../store/audit-checkpoints';
import { renderAudit, type AuditFormat } from '../../store/audit-format';
import { artifactNamed, getArtifact } from '../../store/artifacts';
import type { Channel, RequestKind } from '../../workflows/design-request-messages';
import { capturedMail, capturedMailById } from '../email/capture';
import {
  claimToken,
  csrfFor,
  csrfValid,
  releaseToken,
  TokenError,
  tokenUse,
  verifyToken,
  type TokenClaims,
  type TokenKeys,
} from '../email/tokens';
import type { Policy } from '../policy';
import { questionDetails } from '../question-details';
import {
  auditRefusal,
  decideRequest,
  listRequests,
  quoteVisibility,
  RefusedError,
  RequestInputError,
  requestStatus,
  startRequest,
  UnknownRequestError,
  type KickoffRequest,
  type RefusedKind,
  type RequestServices,
} from '../requests';
import { decideAsked, rolloutStatusOf } from '../rollouts';
import { describeReachability, type SlackReachability } from '../slack/reachability';
import { apiPerson } from './api-person';
import { asset } from './assets';
import { setSecurityHeaders } from './headers';
import { webOperations } from './operations';
import { auditFilters, historyPage, historyQuery, HISTORY_PAGE_LIMIT, matchesKind } from './history';
import { cookies, declaredTooLarge, HttpError, MAX_BODY, readBodyFirst, readForm, readJson, send } from './http';
import { page } from './layout';
import {
  bodyVersion,
  decisionPage,
  ENDED_STATES,
  inboxPage,
  mailPage,
  messagePage,
  requestBody,
  requestListPage,
  requestPage,
  type OtherWorkflow,
} from './pages';
import { requestPageData } from './request-page';
import { rolloutRoutes } from './rollout-routes';
import { requestListQuery, requestListView, requestTitles } from './request-list';
import { targetPage } from './target';

export interface WebDependencies {
  services: RequestServices & { policy: Policy };
  tokenKeys: TokenKeys;
  /** Bearer token → person id, for the JSON API. */
  apiTokens: Map<string, string>;
  temporalUiUrl?: string;
  /** Shows /inbox: the embedded default's local mail capture. */
  inbox?: boolean;
  /** The Slack app's HTTP receiver, for /slack/events, when Slack is on. */
  slack?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Whether Slack answers, when Slack is on: shown by /healthz and the request list. */
  slackReachability?: () => SlackReachability;
  /** The audit key: the decision history then checks the chain against its signed checkpoints too. */
  auditKey?: AuditPublicKey;
  /** Plain Node handlers by exact path (GET), mounted beside the console: for modules that are not pages. */
  mounts?: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>>;
}

type Env = { Bindings: HttpBindings };
type Ctx = Context<Env>;

const CSRF_COOKIE = 'sw_csrf';
/** How often a request page's event stream looks at its request. */
const EVENTS_POLL_MS = 1_000;

/**
 * The console and the API on Hono (see docs/web-console.md for why Hono): its router and its
 * server-rendered JSX. What must hold before any route runs (the security headers, the body limit,
 * the body read first, a bad request target refused, Slack's own receiver) stays in createWebServer.
 */
function consoleApp(deps: WebDependencies): Hono<Env> {
  const app = new Hono<Env>();
  const store = deps.services.store;

  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/', async (c) => {
    const others: OtherWorkflow[] = [];
    const query = `TaskQueue = '${quoteVisibility(deps.services.taskQueue)}' AND WorkflowType != 'designRequest'`;
    for await (const run of deps.services.temporal.workflow.list({ query })) {
      others.push({ workflowId: run.workflowId, type: run.type, status: run.status.name, startTime: run.startTime });
      if (others.length >= 20) break;
    }
    const slack = deps.slackReachability?.();
    const notice = slack && slack.state !== 'reachable' ? describeReachability(slack) : undefined;
    const listQuery = requestListQuery(new URL(c.req.url).searchParams);
    const view = requestListView(await listRequests(deps.services), await requestTitles(store), listQuery);
    return c.html(requestListPage({ ...view, query: listQuery, temporalUiUrl: deps.temporalUiUrl, others, notice }));
  });

  app.get('/assets/:name', async (c) => {
    const found = await asset(c.req.param('name'));
    if (!found) throw new HttpError(404, `no asset '${c.req.param('name')}'`);
    return c.body(new Uint8Array(found.body), 200, {
      'content-type': found.type,
      'cache-control': 'public, max-age=3600',
    });
  });

  app.get('/requests/:id', async (c) => c.html(requestPage(await requestPageData(deps.services, c.req.param('id')))));

  app.get('/requests/:id/events', async (c) => {
    const requestId = c.req.param('id');
    // An unknown request is a 404 before the stream starts.
    let status = await requestStatus(deps.services, requestId);
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      // The page names the rendering it shows: nothing is sent until the request has moved on from it.
      let shown = new URL(c.req.url).searchParams.get('shown') ?? '';
      let seen = '';
      while (open) {
        const key = JSON.stringify(status);
        if (key !== seen) {
          seen = key;
          const html = requestBody(await requestPageData(deps.services, requestId, status));
          if (bodyVersion(html) !== shown)
            await stream.writeSSE({ event: 'status', data: JSON.stringify({ state: status.state, html }) });
          shown = '';
        }
        if (ENDED_STATES.has(status.state)) {
          await stream.writeSSE({ event: 'end', data: status.state });
          return;
        }
        await stream.sleep(EVENTS_POLL_MS);
        if (open) status = await requestStatus(deps.services, requestId);
      }
    });
  });

  app.get('/requests/:id/artifacts/:name', async (c) => {
    const [id, name] = [c.req.param('id'), c.req.param('name')];
    const ref = artifactNamed((await requestStatus(deps.services, id)).artifacts, name);
    if (!ref) throw new HttpError(404, `request ${id} has no artifact '${name}'`);
    const artifact = await getArtifact(store, ref.digest);
    return c.body(artifact.content, 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  app.get('/targets/:name', async (c) => {
    const name = c.req.param('name');
    const { rows } = await store.query<{ name: string }>('SELECT current_database() AS name');
    // Only a target a request may name is read: never the store, a maintenance database or an unknown name.
    const problem = targetProblem(name, deps.services.policyTargets ?? [], rows[0]!.name);
    if (problem) throw new HttpError(404, problem);
    try {
      const catalog = await readTargetCatalog(name, { role: 'read', applicationName: 'schemawright web console' });
      return c.html(targetPage({ name, erd: erdOfCatalog(catalog), tables: catalog.tables.length }));
    } catch (error) {
      return c.html(targetPage({ name, problem: (error as Error).message }), 502);
    }
  });

  app.get('/history', async (c) => {
    const query = historyQuery(new URL(c.req.url).searchParams);
    const [entries, kinds, verification] = await Promise.all([
      queryAudit(store, auditFilters(query, query.kind ? undefined : HISTORY_PAGE_LIMIT)),
      store.query<{ kind: string }>('SELECT DISTINCT kind FROM audit_log ORDER BY kind'),
      deps.auditKey ? verifyAnchoredAudit(store, deps.auditKey, 'not read') : verifyAudit(store),
    ]);
    return c.html(
      historyPage({
        entries: entries.filter(matchesKind(query)).slice(-HISTORY_PAGE_LIMIT),
        query,
        kinds: kinds.rows.map((r) => r.kind),
        verification,
      }),
    );
  });

  app.get('/history/export', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const format = params.get('format') ?? '';
    const type = EXPORTS[format as keyof typeof EXPORTS];
    if (!Object.hasOwn(EXPORTS, format))
      throw new HttpError(400, `format must be csv, json or markdown (got '${format}')`);
    const query = historyQuery(params);
    const entries = (await queryAudit(store, auditFilters(query))).filter(matchesKind(query));
    return c.body(renderAudit(entries, format as AuditFormat), 200, {
      'content-type': `${type.type}; charset=utf-8`,
      'content-disposition': `attachment; filename="schemawright-decisions.${type.extension}"`,
    });
  });

  app.get('/decide', (c) => showDecision(c, deps));
  app.post('/decide', (c) => postDecision(c, deps));

  app.get('/inbox', async (c) => {
    localInbox(c.env.incoming, deps);
    return c.html(inboxPage(await capturedMail(store)));
  });

  app.get('/inbox/:id{[0-9]+}', async (c) => {
    localInbox(c.env.incoming, deps);
    const id = c.req.param('id');
    // An id past bigint names no mail: a 404, not a store error.
    const mail = Number.isSafeInteger(Number(id)) ? await capturedMailById(store, Number(id)) : undefined;
    if (!mail) throw new HttpError(404, `no mail ${id} in the inbox`);
    return c.html(mailPage(mail));
  });

  app.post('/api/requests', (c) => apiStart(c, deps));
  app.get('/api/requests/:id', async (c) => {
    const id = c.req.param('id');
    await apiPerson(c.env.incoming, deps, 'status', id);
    return c.json(await requestStatus(deps.services, id));
  });
  app.post('/api/requests/:id/decisions', (c) => apiDecide(c, deps));
  app.post('/api/requests/:id/revert', (c) => apiRevert(c, deps));
  rolloutRoutes(app, deps);

  app.notFound((c) => c.text(`Not found: ${c.req.method} ${new URL(c.req.url).pathname}\n`, 404));
  app.onError((error, c) => {
    const { status, message, headers } = failureOf(error);
    const path = new URL(c.req.url).pathname;
    if (path.startsWith('/api/')) return c.json({ error: message }, status as 500, headers);
    return c.html(
      page(status === 403 ? 'Refused' : status >= 500 ? 'Error' : 'Cannot do that', message),
      status as 500,
      headers,
    );
  });
  return app;
}

const EXPORTS = {
  csv: { type: 'text/csv', extension: 'csv' },
  json: { type: 'application/json', extension: 'json' },
  markdown: { type: 'text/markdown', extension: 'md' },
} as const;

/**
 * The caught mail holds live decision links: it is shown only to a browser on this machine, even
 * when the server listens on every interface.
 */
function localInbox(req: IncomingMessage, deps: WebDependencies): void {
  if (!deps.inbox) throw new HttpError(404, 'no local inbox: mail goes to SMTP_URL');
  const peer = req.socket.remoteAddress ?? '';
  if (!/^(127\.|::1$|::ffff:127\.)/.test(peer)) {
    throw new HttpError(
      403,
      'The local inbox holds live decision links, so it is shown only on the machine that runs schemawright (open it there, or through an SSH tunnel); set SMTP_URL to send mail instead.',
    );
  }
}

/** GET never decides: mail scanners and link previews open links. It shows the question and a form. */
async function showDecision(c: Ctx, deps: WebDependencies): Promise<Response> {
  const url = new URL(c.req.url);
  const token = url.searchParams.get('token') ?? '';
  const claims = verifyToken(deps.tokenKeys, token);
  const used = await tokenUse(deps.services.store, claims.jti);
  const link = { href: `/requests/${encodeURIComponent(claims.requestId)}`, text: 'See the request' };
  if (used)
    return c.html(
      messagePage(
        'Link already used',
        `This link was used at ${used.usedAt.toISOString()} to choose '${used.option}'. Each link decides once.`,
        link,
      ),
      410,
    );
  const status = claims.rollout
    ? await rolloutAsRequest(deps, claims.requestId, claims.questionId)
    : await requestStatus(deps.services, claims.requestId);
  const question = status.questions.find((q) => q.id === claims.questionId);
  if (!question)
    throw new HttpError(
      404,
      `request ${claims.requestId} has no question '${claims.questionId}' any more (it may have been asked again after a review)`,
    );
  if (question.state !== 'open')
    return c.html(
      messagePage(
        'Question closed',
        `This question was already ${question.state}${question.chosenOptionId ? ` (${question.chosenOptionId})` : ''}.`,
        link,
      ),
      410,
    );
  const nonce = cookies(c.env.incoming).get(CSRF_COOKIE) ?? randomBytes(18).toString('base64url');
  const html = decisionPage({
    status,
    details: await questionDetails(deps.services.store, question),
    person: claims.person,
    token,
    csrf: csrfFor(deps.tokenKeys, nonce, claims.jti),
    selected: url.searchParams.get('option') ?? undefined,
  });
  return c.html(html, 200, {
    'set-cookie': `${CSRF_COOKIE}=${nonce}; HttpOnly; SameSite=Strict; Path=/decide`,
  });
}

/** A rollout's question as the decision page shows it: the group for the target, the question's stage for the environment. */
async function rolloutAsRequest(deps: WebDependencies, rolloutId: string, questionId: string) {
  const rollout = await rolloutStatusOf(deps.services, rolloutId);
  return {
    ...rollout,
    requestId: rollout.rolloutId,
    kind: 'rollout',
    target: rollout.group,
    environment: questionId.split(':')[1] ?? '',
  };
}

async function postDecision(c: Ctx, deps: WebDependencies): Promise<Response> {
  const req = c.env.incoming;
  const form = await readForm(req);
  const optionId = form.get('option');
  if (!optionId) throw new HttpError(400, 'choose an option before submitting');
  let claims: TokenClaims | undefined;
  try {
    claims = verifyToken(deps.tokenKeys, form.get('token') ?? '');
    const nonce = cookies(req).get(CSRF_COOKIE);
    if (!nonce || !csrfValid(deps.tokenKeys, nonce, claims.jti, form.get('csrf') ?? '')) {
      throw new HttpError(
        403,
        'This form did not come from the decision page (missing or wrong CSRF token): open the link from your email again and submit from that page.',
      );
    }
    await claimToken(deps.services.store, claims, optionId);
  } catch (error) {
    if (error instanceof TokenError || (error instanceof HttpError && error.status === 403)) {
      // Whose link it was is known only when its signature holds.
      const signed = claims ?? (error instanceof TokenError ? error.claims : undefined);
      await auditRefusal(deps.services, {
        action: 'decide',
        actor: signed?.person ?? 'unknown',
        channel: 'email',
        requestId: signed?.requestId,
        question: signed?.questionId,
        option: optionId,
        reason: error.message,
      });
    }
    throw error;
  }
  const link = { href: `/requests/${encodeURIComponent(claims.requestId)}`, text: 'See the request' };
  try {
    const comment = form.get('comment')?.trim() || undefined;
    const receipt = await decideAsked(
      deps.services,
      claims,
      { questionId: claims.questionId, optionId, person: claims.person, channel: 'email', comment },
      `email-${claims.jti}`,
    );
    const state =
      receipt.questionState === 'open'
        ? `the question stays open: ${receipt.votes} of ${receipt.quorum} approvals`
        : `the question is now ${receipt.questionState}`;
    return c.html(messagePage('Decision recorded', `${claims.person} chose '${receipt.optionId}'; ${state}.`, link));
  } catch (error) {
    // A refused or failed decision leaves the link usable, so that the person can try again.
    await releaseToken(deps.services.store, claims.jti);
    if (error instanceof RefusedError)
      return c.html(messagePage('Decision refused', error.reason, link), REFUSED_STATUS[error.kind] as 403);
    throw error;
  }
}

function stringField(body: Record<string, unknown>, name: string, problems: string[], required = true): string {
  const value = body[name];
  if (typeof value === 'string') return value;
  if (required || value !== undefined) problems.push(`${name} must be a string`);
  return '';
}

async function apiStart(c: Ctx, deps: WebDependencies): Promise<Response> {
  const req = c.env.incoming;
  const person = await apiPerson(req, deps, 'start');
  const body = await readJson(req);
  const problems: string[] = [];
  const source = (body.source ?? { format: 'sql', text: '' }) as KickoffRequest['source'];
  const kickoff: KickoffRequest = {
    clientRequestId: typeof body.clientRequestId === 'string' ? body.clientRequestId : undefined,
    kind: stringField(body, 'kind', problems) as RequestKind,
    title: stringField(body, 'title', problems, false),
    target: stringField(body, 'target', problems),
    environment: stringField(body, 'environment', problems),
    requester: person,
    channel: 'api',
    source: { format: source.format, text: String(source.text ?? '') },
  };
  if (!['spec', 'sql', 'migrations'].includes(kickoff.source.format))
    problems.push("source.format must be 'spec', 'sql' or 'migrations'");
  if (problems.length) return c.json({ error: `the request was not started: ${problems.join('; ')}`, problems }, 400);
  const { requestId, started } = await startRequest(deps.services, kickoff);
  return c.json({ requestId, started, url: `/requests/${encodeURIComponent(requestId)}` }, started ? 201 : 200);
}

/** Asks to revert an applied request: a revert request of its own, with its own question to the approvers. */
async function apiRevert(c: Ctx, deps: WebDependencies): Promise<Response> {
  const req = c.env.incoming;
  const requestId = c.req.param('id');
  const person = await apiPerson(req, deps, 'revert', requestId);
  const body = await readJson(req);
  const problems: string[] = [];
  const reason = stringField(body, 'reason', problems);
  const clientRequestId = stringField(body, 'clientRequestId', problems, false) || undefined;
  if (problems.length) return c.json({ error: `the revert was not started: ${problems.join('; ')}`, problems }, 400);
  const started = await startRequest(deps.services, {
    clientRequestId,
    kind: 'revert',
    title: '',
    target: '',
    environment: '',
    requester: person,
    channel: 'api',
    reverts: requestId,
    source: { format: 'revert', text: reason },
  });
  return c.json({ ...started, url: `/requests/${encodeURIComponent(started.requestId)}` }, started.started ? 201 : 200);
}

async function apiDecide(c: Ctx, deps: WebDependencies): Promise<Response> {
  const req = c.env.incoming;
  const requestId = c.req.param('id')!;
  const person = await apiPerson(req, deps, 'decide', requestId);
  const body = await readJson(req);
  const problems: string[] = [];
  const questionId = stringField(body, 'questionId', problems);
  const optionId = stringField(body, 'optionId', problems);
  const comment = stringField(body, 'comment', problems, false) || undefined;
  if (problems.length) return c.json({ error: problems.join('; ') }, 400);
  const idempotencyKey = req.headers['idempotency-key'];
  const actionId = typeof idempotencyKey === 'string' && idempotencyKey ? `api-${person}-${idempotencyKey}` : undefined;
  const channel: Channel = 'api';
  return c.json(
    await decideRequest(deps.services, requestId, { questionId, optionId, person, channel, comment }, actionId),
  );
}

/** The status and message an error answers with, whichever route threw it. */
function failureOf(error: unknown): { status: number; message: string; headers: Record<string, string> } {
  const [status, message] =
    error instanceof HttpError
      ? [error.status, error.message]
      : error instanceof TokenError
        ? [error.reason === 'used' || error.reason === 'expired' ? 410 : 400, error.message]
        : error instanceof RefusedError
          ? [REFUSED_STATUS[error.kind], error.reason]
          : error instanceof UnknownRequestError
            ? [404, error.message]
            : error instanceof RequestInputError
              ? [400, error.message]
              : [500, `Internal error: ${(error as Error).message}`];
  const headers: Record<string, string> = status === 429 ? { 'retry-after': '2' } : {};
  // The rest of a body too large is not read: the connection closes after the answer.
  if (status === 413) headers.connection = 'close';
  return { status, message, headers };
}

/** An error before the app runs (the body limit) or from Slack's receiver: answered as JSON. */
function failure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.end();
  const { status, message, headers } = failureOf(error);
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }), headers);
}

/** A closed question or an ended request is a conflict; Temporal too busy, a retry; a reused Idempotency-Key with another body, unprocessable. */
const REFUSED_STATUS: Record<RefusedKind, number> = { forbidden: 403, conflict: 409, busy: 429, mismatch: 422 };

export function createWebServer(deps: WebDependencies): Server {
  const app = getRequestListener(consoleApp(deps).fetch);
  const operations = webOperations(deps);
  return createServer((req, res) => {
    setSecurityHeaders(res);
    if (operations(req, res)) return;
    if (declaredTooLarge(req))
      return failure(
        res,
        new HttpError(
          413,
          `the body is larger than ${MAX_BODY} bytes (Content-Length ${req.headers['content-length']})`,
        ),
      );
    // A request target that does not parse, or a path with broken %-escapes, is the caller's error: it must not end the process.
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch (error) {
      return send(res, 400, 'text/plain; charset=utf-8', `Bad request: ${(error as Error).message}\n`);
    }
    const slack = deps.slack && path.startsWith('/slack/') ? deps.slack : undefined;
    const mounted =
      req.method === 'GET' && deps.mounts && Object.hasOwn(deps.mounts, path) ? deps.mounts[path] : undefined;
    // Every body is read, up to the limit, before a route checks a token, a link, a form or a signature.
    readBodyFirst(req)
      .then(() => (slack ? slack(req, res) : mounted ? mounted(req, res) : app(req, res)))
      .catch((error: unknown) => failure(res, error));
  });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });
}
