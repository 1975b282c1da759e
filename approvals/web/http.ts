import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { ConfigError } from '../../config/environment';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** Every body the server reads, Slack's included: a form, a JSON request or a Slack payload, never a dump. */
export const MAX_BODY = 1024 * 1024;
const TOO_LARGE = 'the body is larger than 1 MiB: send a form, a JSON request or a Slack payload, not a file';

/** A body whose Content-Length is over the limit is refused before a byte of it is read, and before any credential check. */
export function declaredTooLarge(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > MAX_BODY;
}

/**
 * Every body is read here, up to the limit, before its route checks a token, a link, a form or a
 * Slack signature: a longer one (chunked, with no length) stops being read at the limit. The body
 * is kept as `rawBody`, which Bolt also reads a Slack request's body from when it is there.
 */
export async function readBodyFirst(req: IncomingMessage): Promise<void> {
  if (req.method !== 'POST') return;
  try {
    Object.assign(req, { rawBody: await getRawBody(req, { limit: MAX_BODY }) });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw new HttpError(413, TOO_LARGE);
    throw error;
  }
}

function readBody(req: IncomingMessage): string {
  const { rawBody } = req as IncomingMessage & { rawBody?: Buffer };
  return rawBody?.toString('utf8') ?? '';
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(readBody(req));
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = readBody(req);
  try {
    const value = JSON.parse(raw || '{}') as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body is not a JSON object: send Content-Type: application/json with {...}');
  }
}

/** The request's cookies, but for those that do not decode. */
export function cookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      jar.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // Another application on this host may set a cookie with a bare %: not ours, so skipped.
    }
  }
  return jar;
}

/** SCHEMAWRIGHT_API_TOKENS: `person:token,...`; each token is a person's bearer token for the JSON API. */
export function parseApiTokens(raw: string | undefined): Map<string, string> {
  const byToken = new Map<string, string>();
  for (const part of (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const [person, token] = [part.slice(0, colon), part.slice(colon + 1)];
    if (colon < 1 || token.length < 16)
      throw new ConfigError(
        'SCHEMAWRIGHT_API_TOKENS: each entry is person:token with a token of 16 characters or more (`openssl rand -hex 24`)',
      );
    byToken.set(token, person);
  }
  return byToken;
}

/** The person behind `Authorization: Bearer ...`, compared in constant time. */
export function bearerPerson(req: IncomingMessage, tokens: Map<string, string>): string {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match)
    throw new HttpError(401, 'send Authorization: Bearer <token> (tokens are set in SCHEMAWRIGHT_API_TOKENS)');
  const given = Buffer.from(match[1]);
  for (const [token, person] of tokens) {
    const known = Buffer.from(token);
    if (known.length === given.length && timingSafeEqual(known, given)) return person;
  }
  throw new HttpError(401, 'this bearer token is not known: ask an admin for one (SCHEMAWRIGHT_API_TOKENS)');
}
