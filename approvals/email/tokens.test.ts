import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { readEnvironment } from '../../config/environment';
import { createTestStore } from '../../test/support/stack';
import {
  claimToken,
  csrfFor,
  csrfValid,
  issueToken,
  parseTokenKeys,
  releaseToken,
  signToken,
  TokenError,
  tokenKeysFrom,
  verifyToken,
  type TokenClaims,
} from './tokens';

const OLD = `k0:${'a'.repeat(40)}`;
const NEW = `k1:${'b'.repeat(40)}`;

function claims(overrides: Partial<TokenClaims> = {}): TokenClaims {
  return {
    jti: 'j1',
    requestId: 'r1',
    questionId: 'approve',
    person: 'ann',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    ...overrides,
  };
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as TokenError).reason;
  }
  throw new Error('no error');
}

describe('email decision tokens', () => {
  it('are bound to request, question, approver and expiry, and verify under every configured key', () => {
    const before = parseTokenKeys(OLD);
    const token = signToken(before, claims());
    const rotated = parseTokenKeys(`${NEW},${OLD}`);
    expect(verifyToken(rotated, token)).toEqual(claims());
    expect(signToken(rotated, claims()).startsWith('k1.')).toBe(true);
    expect(reasonOf(() => verifyToken(parseTokenKeys(NEW), token))).toBe('unknown-key');
  });

  it('refuse a tampered token, whatever part was changed', () => {
    const keys = parseTokenKeys(OLD);
    const [kid, payload, signature] = signToken(keys, claims()).split('.');
    const otherPerson = Buffer.from(
      JSON.stringify({ j: 'j1', r: 'r1', q: 'approve', p: 'mallory', e: claims().expiresAt }),
    ).toString('base64url');
    expect(reasonOf(() => verifyToken(keys, `${kid}.${otherPerson}.${signature}`))).toBe('bad-signature');
    expect(reasonOf(() => verifyToken(keys, `${kid}.${payload}.${signature.slice(0, -2)}xx`))).toBe('bad-signature');
    expect(reasonOf(() => verifyToken(keys, `${kid}.${payload}`))).toBe('malformed');
  });

  it('refuse an expired token and say when it expired', () => {
    const keys = parseTokenKeys(OLD);
    const token = signToken(keys, claims({ expiresAt: 1_700_000_000 }));
    expect(() => verifyToken(keys, token)).toThrow('This link expired at 2023-11-14T22:13:20.000Z');
  });

  it('explain bad key settings', () => {
    expect(() => parseTokenKeys('k1:short')).toThrow(
      "SCHEMAWRIGHT_TOKEN_KEYS: the secret of key 'k1' is shorter than 32 characters; generate one with `openssl rand -hex 32`",
    );
    expect(() => parseTokenKeys(`${OLD},${OLD}`)).toThrow("key id 'k0' appears twice");
    expect(() => parseTokenKeys('')).toThrow('SCHEMAWRIGHT_TOKEN_KEYS is empty');
  });

  it('without SCHEMAWRIGHT_TOKEN_KEYS, use one key generated once, owner-only, shared by every process of the home', () => {
    const home = mkdtempSync(join(tmpdir(), 'sw-home-'));
    const env = readEnvironment({ SCHEMAWRIGHT_HOME: home });
    const first = tokenKeysFrom(env);
    expect(statSync(join(home, 'token-key')).mode & 0o777).toBe(0o600);
    expect(verifyToken(tokenKeysFrom(env), signToken(first, claims()))).toEqual(claims());
    expect(tokenKeysFrom(readEnvironment({ SCHEMAWRIGHT_HOME: home, SCHEMAWRIGHT_TOKEN_KEYS: NEW })).signing.kid).toBe(
      'k1',
    );
  });

  it('bind the CSRF value to the browser nonce and the token', () => {
    const keys = parseTokenKeys(OLD);
    const csrf = csrfFor(keys, 'nonce-1', 'j1');
    expect(csrfValid(keys, 'nonce-1', 'j1', csrf)).toBe(true);
    expect(csrfValid(keys, 'nonce-2', 'j1', csrf)).toBe(false);
    expect(csrfValid(keys, 'nonce-1', 'j2', csrf)).toBe(false);
  });

  describe('in the store', () => {
    let store: { pool: Pool; close(): Promise<void> };
    beforeAll(async () => {
      store = await createTestStore();
    });
    afterAll(() => store?.close());

    it('are claimed once: of concurrent claims exactly one wins, the others learn when and for what', async () => {
      const keys = parseTokenKeys(OLD);
      const { token, claims: issued } = await issueToken(store.pool, keys, {
        requestId: 'r1',
        questionId: 'approve',
        person: 'ann',
        expiresAt: Math.floor(Date.now() / 1000) + 60,
      });
      expect(verifyToken(keys, token)).toEqual(issued);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () => claimToken(store.pool, issued, 'apply')),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes
        .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        .map((o) => o.reason as TokenError);
      expect(refused.map((e) => e.reason)).toEqual(['used', 'used', 'used', 'used']);
      expect(refused[0].message).toMatch(
        /^This link was already used at .* to choose 'apply': each link decides once\.$/,
      );
      await releaseToken(store.pool, issued.jti);
      await expect(claimToken(store.pool, issued, 'reject')).resolves.toBeUndefined();
    });

    it('cannot be claimed past their expiry even when the signature still checks', async () => {
      const keys = parseTokenKeys(OLD);
      const { claims: issued } = await issueToken(store.pool, keys, {
        requestId: 'r1',
        questionId: 'approve',
        person: 'bob',
        expiresAt: Math.floor(Date.now() / 1000) - 1,
      });
      await expect(claimToken(store.pool, issued, 'apply')).rejects.toMatchObject({ reason: 'expired' });
    });
  });
});
