import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { ConfigError, type Environment } from '../../config/environment';
import { readOrCreateOwnerOnlyFile } from '../../config/owner-only-file';

/**
 * Email decision links carry an HMAC-signed token bound to request, question, approver and expiry.
 * Keys rotate: the first key signs, every key verifies, the key id travels in the token.
 */
export interface TokenKeys {
  signing: { kid: string; secret: Buffer };
  all: Map<string, Buffer>;
}

export interface TokenClaims {
  jti: string;
  requestId: string;
  questionId: string;
  person: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** The question is a rollout's (requestId is then the rollout's id): signed, so a link cannot be turned to a request. */
  rollout?: boolean;
}

export class TokenError extends Error {
  constructor(
    readonly reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'used' | 'unknown',
    message: string,
    /** What a correctly signed token says (expired or used): who it was for, and which request. */
    readonly claims?: TokenClaims,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** `kid1:secret1,kid0:secret0`: secrets of 32 characters or more. */
export function parseTokenKeys(raw: string, variable = 'SCHEMAWRIGHT_TOKEN_KEYS'): TokenKeys {
  const all = new Map<string, Buffer>();
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const kid = part.slice(0, colon);
    const secret = part.slice(colon + 1);
    if (colon < 1 || !KID.test(kid))
      throw new ConfigError(
        `${variable}: each key is kid:secret with a kid of letters, digits, _ or - (like k2026:...); one entry is not`,
      );
    if (secret.length < 32)
      throw new ConfigError(
        `${variable}: the secret of key '${kid}' is shorter than 32 characters; generate one with \`openssl rand -hex 32\``,
      );
    if (all.has(kid)) throw new ConfigError(`${variable}: key id '${kid}' appears twice; give each key its own id`);
    all.set(kid, Buffer.from(secret, 'utf8'));
  }
  const [first] = all;
  if (!first)
    throw new ConfigError(`${variable} is empty: set it to kid:secret (secret from \`openssl rand -hex 32\`)`);
  return { signing: { kid: first[0], secret: first[1] }, all };
}

/**
 * SCHEMAWRIGHT_TOKEN_KEYS, or in the embedded default a key generated once and kept owner-only in
 * SCHEMAWRIGHT_HOME, so that the worker that mails links and the web server that checks them agree.
 */
export function tokenKeysFrom(env: Environment): TokenKeys {
  if (env.approvals.tokenKeys) return parseTokenKeys(env.approvals.tokenKeys);
  const file = join(env.home, 'token-key');
  return parseTokenKeys(readOrCreateOwnerOnlyFile(file, () => `local:${randomBytes(32).toString('hex')}`).trim(), file);
}

function mac(secret: Buffer, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function signToken(keys: TokenKeys, claims: TokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({
      j: claims.jti,
      r: claims.requestId,
      q: claims.questionId,
      p: claims.person,
      e: claims.expiresAt,
      ...(claims.rollout ? { k: 'rollout' } : {}),
    }),
  ).toString('base64url');
  const signed = `${keys.signing.kid}.${payload}`;
  return `${signed}.${mac(keys.signing.secret, signed).toString('base64url')}`;
}

/** Checks signature and expiry; says nothing about use (see claimToken). */
export function verifyToken(keys: TokenKeys, token: string, now = Date.now()): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3)
    throw new TokenError('malformed', 'This link is incomplete: open it again from the email, whole.');
  const [kid, payload, signature] = parts;
  const secret = keys.all.get(kid);
  if (!secret)
    throw new TokenError(
      'unknown-key',
      'This link was signed with a key that is no longer accepted: ask for a new email (a reminder will bring one).',
    );
  const expected = mac(secret, `${kid}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError(
      'bad-signature',
      'This link was altered and is not valid: open it again from the email, unchanged.',
    );
  }
  const raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    j: string;
    r: string;
    q: string;
    p: string;
    e: number;
    k?: string;
  };
  const claims: TokenClaims = {
    jti: raw.j,
    requestId: raw.r,
    questionId: raw.q,
    person: raw.p,
    expiresAt: raw.e,
    ...(raw.k === 'rollout' ? { rollout: true } : {}),
  };
  if (now >= claims.expiresAt * 1000) {
    throw new TokenError(
      'expired',
      `This link expired at ${new Date(claims.expiresAt * 1000).toISOString()}: the question is closed or a newer email carries a fresh link.`,
      claims,
    );
  }
  return claims;
}

/** Signs a new token and records it, so that it can be claimed once. */
export async function issueToken(
  store: Pool,
  keys: TokenKeys,
  claims: Omit<TokenClaims, 'jti'>,
): Promise<{ token: string; claims: TokenClaims }> {
  const full: TokenClaims = { ...claims, jti: randomBytes(16).toString('base64url') };
  await store.query(
    'INSERT INTO approval_tokens (jti, request_id, question_id, person, expires_at) VALUES ($1, $2, $3, $4, to_timestamp($5))',
    [full.jti, full.requestId, full.questionId, full.person, full.expiresAt],
  );
  return { token: signToken(keys, full), claims: full };
}

export interface TokenUse {
  usedAt: Date;
  option: string | null;
}

/** Where a token stands: unused, or used (when, for what). */
export async function tokenUse(store: Pool, jti: string): Promise<TokenUse | null> {
  const { rows } = await store.query<{ used_at: Date | null; used_option: string | null }>(
    'SELECT used_at, used_option FROM approval_tokens WHERE jti = $1',
    [jti],
  );
  if (!rows[0])
    throw new TokenError('unknown', 'This link is not known here: it may belong to another schemawright installation.');
  return rows[0].used_at ? { usedAt: rows[0].used_at, option: rows[0].used_option } : null;
}

/**
 * Claims the token for one decision, atomically: of two concurrent POSTs exactly one wins. The
 * caller releases it when the workflow refused the decision, so that the person can choose again.
 */
export async function claimToken(store: Pool, claims: TokenClaims, optionId: string): Promise<void> {
  const { rowCount } = await store.query(
    `UPDATE approval_tokens SET used_at = now(), used_option = $2
      WHERE jti = $1 AND used_at IS NULL AND expires_at > now()`,
    [claims.jti, optionId],
  );
  if (rowCount === 1) return;
  const use = await tokenUse(store, claims.jti);
  if (use)
    throw new TokenError(
      'used',
      `This link was already used at ${use.usedAt.toISOString()}${use.option ? ` to choose '${use.option}'` : ''}: each link decides once.`,
      claims,
    );
  throw new TokenError(
    'expired',
    'This link has expired: the question is closed or a newer email carries a fresh link.',
    claims,
  );
}

export async function releaseToken(store: Pool, jti: string): Promise<void> {
  await store.query('UPDATE approval_tokens SET used_at = NULL, used_option = NULL WHERE jti = $1', [jti]);
}

/** The CSRF value of a decision form: bound to the browser's cookie nonce and to the token. */
export function csrfFor(keys: TokenKeys, nonce: string, jti: string): string {
  return mac(keys.signing.secret, `csrf:${nonce}:${jti}`).toString('base64url');
}

export function csrfValid(keys: TokenKeys, nonce: string, jti: string, given: string): boolean {
  for (const secret of keys.all.values()) {
    const expected = mac(secret, `csrf:${nonce}:${jti}`);
    const provided = Buffer.from(given, 'base64url');
    if (provided.length === expected.length && timingSafeEqual(provided, expected)) return true;
  }
  return false;
}
