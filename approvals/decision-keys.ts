import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, type Environment } from '../config/environment';
import { decisionPayload } from '../workflows/decision-signature';
import type { Channel, DecisionInput, DecisionKeys } from '../workflows/design-request-messages';
import { readOrCreateOwnerOnlyFile } from '../config/owner-only-file';

/**
 * Who signs decisions: the web process for the people it authenticated (email link, Slack
 * signature, API token), the operator's key for the CLI. Each request carries both public halves
 * (`RequestInput.decisionKeys`); its workflow refuses a decision no key of its channel signed.
 */
export type DecisionSignerRole = 'channels' | 'operator';

export const CHANNELS_OF: Record<DecisionSignerRole, Channel[]> = {
  channels: ['email', 'slack', 'api', 'web'],
  operator: ['cli'],
};

export const KEY_VARIABLES: Record<DecisionSignerRole, { secret: string; public: string; file: string }> = {
  channels: { secret: 'SCHEMAWRIGHT_DECISION_KEY', public: 'SCHEMAWRIGHT_DECISION_PUBLIC_KEY', file: 'decision-key' },
  operator: { secret: 'SCHEMAWRIGHT_OPERATOR_KEY', public: 'SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY', file: 'operator-key' },
};

export interface DecisionSigner {
  /** Put into every request this process starts. */
  publicKeys: DecisionKeys;
  /** The decision with its channel's signature; throws for a channel whose key this process does not hold. */
  sign(requestId: string, updateId: string, decision: DecisionInput): DecisionInput;
}

/** Signs with the private keys given, for their channels; `publicKeys` names the key of every channel. */
export function decisionSigner(
  privateKeys: Partial<Record<DecisionSignerRole, KeyObject>>,
  publicKeys: Record<DecisionSignerRole, string>,
): DecisionSigner {
  const signing = new Map<Channel, KeyObject>();
  for (const [role, key] of Object.entries(privateKeys) as [DecisionSignerRole, KeyObject][])
    for (const channel of CHANNELS_OF[role]) signing.set(channel, key);
  return {
    publicKeys: Object.fromEntries(
      (Object.keys(CHANNELS_OF) as DecisionSignerRole[]).flatMap((role) =>
        CHANNELS_OF[role].map((channel) => [channel, publicKeys[role]]),
      ),
    ),
    sign(requestId, updateId, decision) {
      const key = signing.get(decision.channel);
      if (!key) {
        const role = CHANNELS_OF.operator.includes(decision.channel) ? 'operator' : 'channels';
        throw new ConfigError(
          `this process holds no key to sign ${decision.channel} decisions: set ${KEY_VARIABLES[role].secret} (the ${role === 'operator' ? 'CLI' : 'web server'} signs them)`,
        );
      }
      const { signature: _unsigned, ...unsigned } = decision;
      const signedAt = new Date().toISOString();
      return {
        ...unsigned,
        signature: {
          signedAt,
          value: sign(null, decisionPayload(requestId, updateId, unsigned, signedAt), key).toString('hex'),
        },
      };
    },
  };
}

/** A process's signer: its own role's private key, and the other role's public key. */
export function decisionSignerFrom(env: Environment, role: DecisionSignerRole): DecisionSigner {
  const other: DecisionSignerRole = role === 'channels' ? 'operator' : 'channels';
  const own = privateKeyFrom(env, role);
  return decisionSigner({ [role]: own }, { [role]: publicKeyHex(own), [other]: publicKeyFrom(env, other) } as Record<
    DecisionSignerRole,
    string
  >);
}

/**
 * The public keys that verify decisions by channel, as this environment knows them: what a worker
 * checks the approvals of requests and rollouts with where it applies (approvals/signed-approvals.ts),
 * whatever a workflow's input says.
 */
export function verifyingKeys(env: Environment): DecisionKeys {
  return Object.fromEntries(
    (Object.keys(CHANNELS_OF) as DecisionSignerRole[]).flatMap((role) => {
      const key = publicKeyFrom(env, role);
      return CHANNELS_OF[role].map((channel) => [channel, key]);
    }),
  );
}

/** A fresh pair of keys held in memory: tests, and benchmarks that stand for both signers. */
export function ephemeralDecisionSigner(): DecisionSigner {
  const channels = generateKeyPairSync('ed25519').privateKey;
  const operator = generateKeyPairSync('ed25519').privateKey;
  return decisionSigner({ channels, operator }, { channels: publicKeyHex(channels), operator: publicKeyHex(operator) });
}

/**
 * The public half of each private key this environment holds, configured or generated (a role given
 * only by its public half holds none): what the other side sets as its SCHEMAWRIGHT_*_PUBLIC_KEY.
 */
export function heldPublicKeys(env: Environment): { variable: string; value: string }[] {
  return (Object.keys(KEY_VARIABLES) as DecisionSignerRole[])
    .filter((role) => env.approvals.decisionKeys[role].secret || !env.approvals.decisionKeys[role].public)
    .map((role) => ({ variable: KEY_VARIABLES[role].public, value: publicKeyHex(privateKeyFrom(env, role)) }));
}

// An Ed25519 private key is its 32-byte seed; PKCS#8 wraps it in this fixed prefix (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SEED = /^[A-Za-z0-9+/_-]{43}=?$/;

/** `openssl rand -base64 32`: the 32-byte seed of an Ed25519 key. */
export function parseDecisionKey(raw: string, variable: string): KeyObject {
  const seed = Buffer.from(raw.trim(), 'base64');
  if (!SEED.test(raw.trim()) || seed.length !== 32)
    throw new ConfigError(
      `${variable} must be 32 random bytes in base64 (44 characters): generate it with \`openssl rand -base64 32\``,
    );
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyHex(privateKey: KeyObject): string {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url').toString('hex');
}

/** SCHEMAWRIGHT_DECISION_KEY or SCHEMAWRIGHT_OPERATOR_KEY, or in the embedded default one generated once, owner-only, in SCHEMAWRIGHT_HOME. */
function privateKeyFrom(env: Environment, role: DecisionSignerRole): KeyObject {
  const { secret, file } = KEY_VARIABLES[role];
  const configured = env.approvals.decisionKeys[role].secret;
  if (configured) return parseDecisionKey(configured, secret);
  const path = join(env.home, file);
  return parseDecisionKey(
    readOrCreateOwnerOnlyFile(path, () =>
      generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'der', type: 'pkcs8' })
        .subarray(-32)
        .toString('base64'),
    ).trim(),
    path,
  );
}

function publicKeyFrom(env: Environment, role: DecisionSignerRole): string {
  const variable = KEY_VARIABLES[role].public;
  const keys = env.approvals.decisionKeys;
  const configured = keys[role].public?.trim().toLowerCase();
  if (configured === undefined) {
    // A configured key beside a generated one would sign what no request started elsewhere verifies.
    const other: DecisionSignerRole = role === 'channels' ? 'operator' : 'channels';
    if (keys[other].secret && !keys[role].secret)
      throw new ConfigError(
        `${KEY_VARIABLES[other].secret} is set, so ${variable} must be too: requests started here carry it to verify ${role === 'operator' ? 'CLI' : 'email, Slack and API'} decisions (print it with \`schemawright decision-keys\` where ${KEY_VARIABLES[role].secret} is set)`,
      );
    return publicKeyHex(privateKeyFrom(env, role));
  }
  if (!/^[0-9a-f]{64}$/.test(configured))
    throw new ConfigError(
      `${variable} must be 64 hex characters: print it with \`schemawright decision-keys\` where ${KEY_VARIABLES[role].secret} is set`,
    );
  return configured;
}
