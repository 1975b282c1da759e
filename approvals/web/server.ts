import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Finding } from '../../artifacts/findings';
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
import { describeReachability, type SlackReachability } from '../slack/reachability';
import { escapeHtml, page } from './html';
import { webOperations } from './operations';
import { setSecurityHeaders } from './headers';
import {
  bearerPerson,
  cookies,
  declaredTooLarge,
  HttpError,
  MAX_BODY,
  readBodyFirst,
  readForm,
  readJson,
  send,
  sendJson,
} from './http';
import {
  decisionPage,
  inboxPage,
  mailPage,
  messagePage,
  requestListPage,
  requestPage,
  type OtherWorkflow,
} from './pages';

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
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  deps: WebDependencies,
  params: string[],
  url: URL,
) => Promise<void>;

const HTML = 'text/html; charset=utf-8';
const CSRF_COOKIE = 'sw_csrf';

const routes: [string, RegExp, Handler][] = [
  [
    'GET',
    /^\/$/,
    async (_req, res, deps) => {
      const others: OtherWorkflow[] = [];
      const query = `TaskQueue = '${quoteVisibility(deps.services.taskQueue)}' AND WorkflowType != 'designRequest'`;
      for await (const run of deps.services.temporal.workflow.list({ query })) {
        others.push({ workflowId: run.workflowId, type: run.type, status: run.status.name, startTime: run.startTime });
        if (others.length >= 20) break;
      }
      const slack = deps.slackReachability?.();
      const notice = slack && slack.state !== 'reachable' ? describeReachability(slack) : undefined;
      send(
        res,
        200,
        HTML,
        requestListPage((await listRequests(deps.services)).slice(0, 200), deps.temporalUiUrl, others, notice),
      );
    },
  ],
  [
    'GET',
    /^\/requests\/([^/]+)$/,
    async (_req, res, deps, [id]) => send(res, 200, HTML, await renderRequest(deps, id)),
  ],
  [
    'GET',
    /^\/requests\/([^/]+)\/artifacts\/([^/]+)$/,
    async (_req, res, deps, [id, name]) => {
      const ref = artifactNamed((await requestStatus(deps.services, id)).artifacts, name);
      if (!ref) throw new HttpError(404, `request ${id} has no artifact '${name}'`);
      const artifact = await getArtifact(deps.services.store, ref.digest);
      send(res, 200, 'text/plain; charset=utf-8', artifact.content);
    },
  ],
  ['GET', /^\/decide$/, showDecision],
  ['POST', /^\/decide$/, postDecision],
  [
    'GET',
    /^\/inbox$/,
    async (req, res, deps) => {
      localInbox(req, deps);
      send(res, 200, HTML, inboxPage(await capturedMail(deps.services.store)));
    },
  ],
  [
    'GET',
    /^\/inbox\/(\d+)$/,
    async (req, res, deps, [id]) => {
      localInbox(req, deps);
      // An id past bigint names no mail: a 404, not a store error.
      const mail = Number.isSafeInteger(Number(id))
        ? await capturedMailById(deps.services.store, Number(id))
        : undefined;
      if (!mail) throw new HttpError(404, `no mail ${id} in the inbox`);
      send(res, 200, HTML, mailPage(mail));
    },
  ],
  ['POST', /^\/api\/requests$/, apiStart],
  [
    'GET',
    /^\/api\/requests\/([^/]+)$/,
    async (req, res, deps, [id]) => {
      await apiPerson(req, deps, 'status', id);
      sendJson(res, 200, await requestStatus(deps.services, id));
    },
  ],
  ['POST', /^\/api\/requests\/([^/]+)\/decisions$/, apiDecide],
  ['POST', /^\/api\/requests\/([^/]+)\/revert$/, apiRevert],
];

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

async function renderRequest(deps: WebDependencies, requestId: string): Promise<string> {
  const status = await requestStatus(deps.services, requestId);
  const store = deps.services.store;
  const text = async (name: string) => {
    const ref = artifactNamed(status.artifacts, name);
    return ref ? (await getArtifact(store, ref.digest)).content : undefined;
  };
  const findingsJson = await text('findings');
  return requestPage({
    status,
    findings: findingsJson ? (JSON.parse(findingsJson) as Finding[]) : undefined,
    erd: await text('erd'),
    details: await Promise.all(status.questions.map((q) => questionDetails(store, q))),
  });
}

/** GET never decides: mail scanners and link previews open links. It shows the question and a form. */
async function showDecision(
  req: IncomingMessage,
  res: ServerResponse,
  deps: WebDependencies,
  _params: string[],
  url: URL,
): Promise<void> {
  const token = url.searchParams.get('token') ?? '';
  const claims = verifyToken(deps.tokenKeys, token);
  const used = await tokenUse(deps.services.store, claims.jti);
  const link = { href: `/requests/${encodeURIComponent(claims.requestId)}`, text: 'See the request' };
  if (used)
    return send(
      res,
      410,
      HTML,
      messagePage(
        'Link already used',
        `This link was used at ${used.usedAt.toISOString()} to choose '${used.option}'. Each link decides once.`,
        link,
      ),
    );
  const status = await requestStatus(deps.services, claims.requestId);
  const question = status.questions.find((q) => q.id === claims.questionId);
  if (!question)
    throw new HttpError(
      404,
      `request ${claims.requestId} has no question '${claims.questionId}' any more (it may have been asked again after a review)`,
    );
  if (question.state !== 'open')
    return send(
      res,
      410,
      HTML,
      messagePage(
        'Question closed',
        `This question was already ${question.state}${question.chosenOptionId ? ` (${question.chosenOptionId})` : ''}.`,
        link,
      ),
    );
  const nonce = cookies(req).get(CSRF_COOKIE) ?? randomBytes(18).toString('base64url');
  const html = decisionPage({
    status,
    details: await questionDetails(deps.services.store, question),
    person: claims.person,
    token,
    csrf: csrfFor(deps.tokenKeys, nonce, claims.jti),
    selected: url.searchParams.get('option') ?? undefined,
  });
  send(res, 200, HTML, html, { 'set-cookie': `${CSRF_COOKIE}=${nonce}; HttpOnly; SameSite=Strict; Path=/decide` });
}

async function postDecision(req: IncomingMessage, res: ServerResponse, deps: WebDependencies): Promise<void> {
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
    const receipt = await decideRequest(
      deps.services,
      claims.requestId,
      { questionId: claims.questionId, optionId, person: claims.person, channel: 'email', comment },
      `email-${claims.jti}`,
    );
    const state =
      receipt.questionState === 'open'
        ? `the question stays open: ${receipt.votes} of ${receipt.quorum} approvals`
        : `the question is now ${receipt.questionState}`;
    send(
      res,
      200,
      HTML,
      messagePage('Decision recorded', `${claims.person} chose '${receipt.optionId}'; ${state}.`, link),
    );
  } catch (error) {
    // A refused or failed decision leaves the link usable, so that the person can try again.
    await releaseToken(deps.services.store, claims.jti);
    if (error instanceof RefusedError)
      return send(res, REFUSED_STATUS[error.kind], HTML, messagePage('Decision refused', error.reason, link));
    throw error;
  }
}

function stringField(body: Record<string, unknown>, name: string, problems: string[], required = true): string {
  const value = body[name];
  if (typeof value === 'string') return value;
  if (required || value !== undefined) problems.push(`${name} must be a string`);
  return '';
}

async function apiStart(req: IncomingMessage, res: ServerResponse, deps: WebDependencies): Promise<void> {
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
  if (problems.length)
    return sendJson(res, 400, { error: `the request was not started: ${problems.join('; ')}`, problems });
  const { requestId, started } = await startRequest(deps.services, kickoff);
  sendJson(res, started ? 201 : 200, { requestId, started, url: `/requests/${encodeURIComponent(requestId)}` });
}

/** Asks to revert an applied request: a revert request of its own, with its own question to the approvers. */
async function apiRevert(
  req: IncomingMessage,
  res: ServerResponse,
  deps: WebDependencies,
  [requestId]: string[],
): Promise<void> {
  const person = await apiPerson(req, deps, 'revert', requestId);
  const body = await readJson(req);
  const problems: string[] = [];
  const reason = stringField(body, 'reason', problems);
  const clientRequestId = stringField(body, 'clientRequestId', problems, false) || undefined;
  if (problems.length)
    return sendJson(res, 400, { error: `the revert was not started: ${problems.join('; ')}`, problems });
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
  sendJson(res, started.started ? 201 : 200, { ...started, url: `/requests/${encodeURIComponent(started.requestId)}` });
}

async function apiDecide(
  req: IncomingMessage,
  res: ServerResponse,
  deps: WebDependencies,
  [requestId]: string[],
): Promise<void> {
  const person = await apiPerson(req, deps, 'decide', requestId);
  const body = await readJson(req);
  const problems: string[] = [];
  const questionId = stringField(body, 'questionId', problems);
  const optionId = stringField(body, 'optionId', problems);
  const comment = stringField(body, 'comment', problems, false) || undefined;
  if (problems.length) return sendJson(res, 400, { error: problems.join('; ') });
  const idempotencyKey = req.headers['idempotency-key'];
  const actionId = typeof idempotencyKey === 'string' && idempotencyKey ? `api-${person}-${idempotencyKey}` : undefined;
  const channel: Channel = 'api';
  sendJson(
    res,
    200,
    await decideRequest(deps.services, requestId, { questionId, optionId, person, channel, comment }, actionId),
  );
}

/** The person an API bearer token stands for; an unknown or missing token is refused, and audited. */
async function apiPerson(
  req: IncomingMessage,
  deps: WebDependencies,
  action: string,
  requestId?: string,
): Promise<string> {
  try {
    return bearerPerson(req, deps.apiTokens);
  } catch (error) {
    await auditRefusal(deps.services, {
      action,
      actor: 'unknown',
      channel: 'api',
      requestId,
      reason: (error as Error).message,
    });
    throw error;
  }
}

function failure(res: ServerResponse, error: unknown, api: boolean): void {
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
  if (res.headersSent) return void res.end();
  const retry: Record<string, string> = status === 429 ? { 'retry-after': '2' } : {};
  // The rest of a body too large is not read: the connection closes after the answer.
  if (status === 413) res.setHeader('connection', 'close');
  if (api) return send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }), retry);
  send(
    res,
    status,
    HTML,
    page(status === 403 ? 'Refused' : status >= 500 ? 'Error' : 'Cannot do that', `<p>${escapeHtml(message)}</p>`),
    retry,
  );
}

/** A closed question or an ended request is a conflict; Temporal too busy, a retry; a reused Idempotency-Key with another body, unprocessable. */
const REFUSED_STATUS: Record<RefusedKind, number> = { forbidden: 403, conflict: 409, busy: 429, mismatch: 422 };

export function createWebServer(deps: WebDependencies): Server {
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
        true,
      );
    let url: URL;
    let params: string[] = [];
    let handler: Handler | undefined;
    // A request target that does not parse, or a path with broken %-escapes, is the caller's error: it must not end the process.
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
      const slack = deps.slack;
      if (slack && url.pathname.startsWith('/slack/')) handler = async () => slack(req, res);
      for (const [method, pattern, routeHandler] of handler ? [] : routes) {
        const match = pattern.exec(url.pathname);
        if (!match || method !== req.method) continue;
        params = match.slice(1).map(decodeURIComponent);
        handler = routeHandler;
        break;
      }
    } catch (error) {
      return send(res, 400, 'text/plain; charset=utf-8', `Bad request: ${(error as Error).message}\n`);
    }
    if (!handler) return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${req.method} ${url.pathname}\n`);
    const route = handler;
    readBodyFirst(req)
      .then(() => route(req, res, deps, params, url))
      .catch((error: unknown) =>
        failure(res, error, url.pathname.startsWith('/api/') || url.pathname.startsWith('/slack/')),
      );
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
