import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import type { Pool } from 'pg';
import type { ControlAction } from '../../workflows/rollout-messages';
import {
  claimToken,
  csrfFor,
  csrfValid,
  issueToken,
  releaseToken,
  TokenError,
  tokenUse,
  verifyToken,
  type TokenClaims,
  type TokenKeys,
} from '../email/tokens';
import { auditRefusal, type RequestServices } from '../requests';
import { controlRollout, decideRollout, listRollouts, rolloutStatusOf } from '../rollouts';
import { apiPerson } from './api-person';
import { cookies, HttpError, readForm, readJson } from './http';
import { messagePage } from './pages';
import { rolloutHref, rolloutListPage, rolloutPage, type RolloutForms } from './rollout-page';

type Env = { Bindings: HttpBindings };
type Ctx = Context<Env>;

interface RolloutWebDependencies {
  services: RequestServices;
  tokenKeys: TokenKeys;
  apiTokens: Map<string, string>;
}

/**
 * A rollout link is a decision link (approvals/email/tokens.ts) whose question is this: signed for one
 * rollout and one person, usable once, for one control or one decision from the rollout's page.
 */
export const ROLLOUT_LINK = 'rollout';
const CSRF_COOKIE = 'sw_rollout_csrf';
const CONTROLS: readonly ControlAction[] = ['pause', 'resume', 'skip', 'retry', 'abort'];

/** Signs and records a link that lets `person` act once on the rollout's page. */
export async function issueRolloutLink(
  store: Pool,
  keys: TokenKeys,
  webBaseUrl: string,
  rolloutId: string,
  person: string,
  hours = 24,
): Promise<string> {
  const { token } = await issueToken(store, keys, {
    requestId: rolloutId,
    questionId: ROLLOUT_LINK,
    person,
    expiresAt: Math.floor(Date.now() / 1000) + hours * 3600,
  });
  return `${webBaseUrl.replace(/\/$/, '')}${rolloutHref(rolloutId)}?token=${encodeURIComponent(token)}`;
}

/** The rollout pages, their forms and the rollout API: each decision and control goes through approvals/rollouts.ts. */
export function rolloutRoutes(app: Hono<Env>, deps: RolloutWebDependencies): void {
  app.get('/rollouts', async (c) => {
    const { rows } = await deps.services.store.query<{ request_id: string; title: string | null }>(
      "SELECT request_id, data->>'title' AS title FROM audit_log WHERE kind = 'rollout-created'",
    );
    const titles = new Map(rows.map((r) => [r.request_id, r.title ?? undefined]));
    const rollouts = await listRollouts(deps.services, {
      status: c.req.query('state') || undefined,
      group: c.req.query('group') || undefined,
    });
    return c.html(rolloutListPage(rollouts.map((r) => ({ ...r, title: titles.get(r.rolloutId) }))));
  });

  app.get('/rollouts/:id', (c) => showRollout(c, deps));
  app.post('/rollouts/:id/controls', (c) => postForm(c, deps, 'control'));
  app.post('/rollouts/:id/decisions', (c) => postForm(c, deps, 'decide'));

  app.get('/api/rollouts/:id', async (c) => {
    const id = c.req.param('id');
    await apiPerson(c.env.incoming, deps, 'status', id);
    return c.json(await rolloutStatusOf(deps.services, id));
  });
  app.post('/api/rollouts/:id/controls', async (c) => {
    const id = c.req.param('id');
    const person = await apiPerson(c.env.incoming, deps, 'control', id);
    const body = await readJson(c.env.incoming);
    const control = controlOf(body.action, body.target);
    const comment = typeof body.comment === 'string' && body.comment ? body.comment : undefined;
    return c.json(await controlRollout(deps.services, id, { ...control, person, channel: 'api', comment }));
  });
  app.post('/api/rollouts/:id/decisions', async (c) => {
    const req = c.env.incoming;
    const id = c.req.param('id');
    const person = await apiPerson(req, deps, 'decide', id);
    const body = await readJson(req);
    if (typeof body.questionId !== 'string' || typeof body.optionId !== 'string')
      throw new HttpError(400, 'questionId and optionId must be strings (GET /api/rollouts/ID lists the questions)');
    const comment = typeof body.comment === 'string' && body.comment ? body.comment : undefined;
    const key = req.headers['idempotency-key'];
    const actionId = typeof key === 'string' && key ? `api-${person}-${key}` : undefined;
    return c.json(
      await decideRollout(
        deps.services,
        id,
        { questionId: body.questionId, optionId: body.optionId, person, channel: 'api', comment },
        actionId,
      ),
    );
  });
}

function controlOf(action: unknown, target: unknown): { action: ControlAction; target?: string } {
  if (typeof action !== 'string' || !CONTROLS.includes(action as ControlAction))
    throw new HttpError(400, `action must be one of ${CONTROLS.join(', ')}`);
  if (target !== undefined && target !== '' && typeof target !== 'string')
    throw new HttpError(400, 'target must be a string');
  return { action: action as ControlAction, ...(target ? { target: target as string } : {}) };
}

/** GET never acts: it shows the rollout, and the forms when it was opened with this rollout's unused link. */
async function showRollout(c: Ctx, deps: RolloutWebDependencies): Promise<Response> {
  const id = c.req.param('id')!;
  const view = await rolloutStatusOf(deps.services, id);
  const token = c.req.query('token');
  if (!token) return c.html(rolloutPage({ view }));
  let linkProblem: string | undefined;
  let forms: RolloutForms | undefined;
  const nonce = cookies(c.env.incoming).get(CSRF_COOKIE) ?? randomBytes(18).toString('base64url');
  try {
    const claims = linkFor(deps.tokenKeys, token, id);
    const used = await tokenUse(deps.services.store, claims.jti);
    if (used) linkProblem = `This link was used at ${used.usedAt.toISOString()} (${used.option}): each link acts once.`;
    else forms = { person: claims.person, token, csrf: csrfFor(deps.tokenKeys, nonce, claims.jti) };
  } catch (error) {
    if (!(error instanceof TokenError || error instanceof HttpError)) throw error;
    linkProblem = error.message;
  }
  return c.html(rolloutPage({ view, forms, linkProblem }), 200, {
    'set-cookie': `${CSRF_COOKIE}=${nonce}; HttpOnly; SameSite=Strict; Path=/rollouts`,
  });
}

/** The link's claims, if it is a rollout link for this rollout. */
function linkFor(keys: TokenKeys, token: string, rolloutId: string): TokenClaims {
  return boundTo(verifyToken(keys, token), rolloutId);
}

function boundTo(claims: TokenClaims, rolloutId: string): TokenClaims {
  if (claims.questionId !== ROLLOUT_LINK || claims.requestId !== rolloutId)
    throw new HttpError(
      403,
      `This link is not for rollout ${rolloutId}: open the rollout's own link (\`schemawright rollout link ${rolloutId}\`).`,
    );
  return claims;
}

/**
 * A form from the rollout page: from this server (Origin), with the page's CSRF value, and a rollout
 * link that has not acted yet; then the same path as the CLI's, as the link's person, over the web.
 */
async function postForm(c: Ctx, deps: RolloutWebDependencies, action: 'control' | 'decide'): Promise<Response> {
  const req = c.env.incoming;
  const id = c.req.param('id')!;
  const form = await readForm(req);
  const what =
    action === 'control'
      ? [form.get('action'), form.get('target')].filter(Boolean).join(':')
      : `${form.get('question') ?? ''}=${form.get('option') ?? ''}`;
  let claims: TokenClaims | undefined;
  try {
    claims = verifyToken(deps.tokenKeys, form.get('token') ?? '');
    sameOrigin(req);
    boundTo(claims, id);
    const nonce = cookies(req).get(CSRF_COOKIE);
    if (!nonce || !csrfValid(deps.tokenKeys, nonce, claims.jti, form.get('csrf') ?? ''))
      throw new HttpError(
        403,
        "This form did not come from the rollout's page (missing or wrong CSRF value): open the rollout's link again and submit from that page.",
      );
    await claimToken(deps.services.store, claims, what);
  } catch (error) {
    if (error instanceof TokenError || (error instanceof HttpError && error.status === 403)) {
      // Whose link it was is known only when its signature holds.
      const signed = claims ?? (error instanceof TokenError ? error.claims : undefined);
      await auditRefusal(deps.services, {
        action,
        actor: signed?.person ?? 'unknown',
        channel: 'web',
        requestId: id,
        option: what,
        reason: error.message,
      });
    }
    throw error;
  }
  const link = { href: rolloutHref(id), text: 'See the rollout' };
  const person = claims.person;
  const comment = form.get('comment')?.trim() || undefined;
  try {
    if (action === 'control') {
      const control = controlOf(form.get('action') ?? '', form.get('target') ?? undefined);
      const view = await controlRollout(deps.services, id, { ...control, person, channel: 'web', comment });
      return c.html(messagePage('Control recorded', `${person}: ${what}; the rollout is ${view.state}.`, link));
    }
    const receipt = await decideRollout(
      deps.services,
      id,
      { questionId: form.get('question') ?? '', optionId: form.get('option') ?? '', person, channel: 'web', comment },
      `web-${claims.jti}`,
    );
    const state =
      receipt.questionState === 'open'
        ? `the question stays open: ${receipt.votes} of ${receipt.quorum} approvals`
        : `the question is now ${receipt.questionState}`;
    return c.html(messagePage('Decision recorded', `${person} chose '${receipt.optionId}'; ${state}.`, link));
  } catch (error) {
    // A refused or failed attempt leaves the link usable, so that the person can try again.
    await releaseToken(deps.services.store, claims.jti);
    throw error;
  }
}

/** A browser says where a form came from: one from another site is refused before its token is looked at. */
function sameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const host = req.headers.host ?? '';
  if (origin !== `http://${host}` && origin !== `https://${host}`)
    throw new HttpError(
      403,
      `This form was posted from ${origin}, not from this console: open the rollout's page here and submit from it.`,
    );
}
