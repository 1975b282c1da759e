import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Environment } from '../config/environment';
import { readOrCreateOwnerOnlyFile } from '../config/owner-only-file';

/**
 * The Ed25519 key that signs checkpoints of the audit chain. It is kept outside the store
 * (SCHEMAWRIGHT_AUDIT_KEY, or a file in SCHEMAWRIGHT_HOME), so whoever can rewrite the store cannot
 * sign a checkpoint for the rewritten chain. Keys are PKCS#8 (private) and SPKI (public), as PEM or as
 * base64 of the DER on one line, which is what `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` give.
 */
export interface AuditPublicKey {
  key: KeyObject;
  /** sha256 of the public key, first 16 hex digits: names the key in checkpoints and the anchor's workflow id. */
  id: string;
  /** The public key as base64 DER (SPKI), for SCHEMAWRIGHT_AUDIT_PUBLIC_KEY. */
  text: string;
}

export interface AuditSigningKey extends AuditPublicKey {
  privateKey: KeyObject;
}

function publicOf(key: KeyObject): AuditPublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, id: createHash('sha256').update(der).digest('hex').slice(0, 16), text: der.toString('base64') };
}

function keyInput(text: string): { key: string | Buffer; format: 'pem' | 'der' } {
  const trimmed = text.trim();
  return trimmed.startsWith('-----BEGIN')
    ? { key: trimmed, format: 'pem' }
    : { key: Buffer.from(trimmed, 'base64'), format: 'der' };
}

export function parseAuditKey(text: string, source = 'SCHEMAWRIGHT_AUDIT_KEY'): AuditSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ ...keyInput(text), type: 'pkcs8' });
  } catch (error) {
    throw new ConfigError(
      `${source} is not a private key (${(error as Error).message}): use an Ed25519 key from \`openssl genpkey -algorithm ed25519\`, as PEM or as base64 of its DER.`,
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new ConfigError(
      `${source} is a ${privateKey.asymmetricKeyType} key: checkpoints are signed with Ed25519 (\`openssl genpkey -algorithm ed25519\`).`,
    );
  return { ...publicOf(createPublicKey(privateKey)), privateKey };
}

export function parseAuditPublicKey(text: string, source = 'SCHEMAWRIGHT_AUDIT_PUBLIC_KEY'): AuditPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ ...keyInput(text), type: 'spki' });
  } catch (error) {
    throw new ConfigError(
      `${source} is not a public key (${(error as Error).message}): use the line \`npm start\` and \`audit verify\` print, or \`openssl pkey -pubout\` of the key.`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ConfigError(`${source} is a ${key.asymmetricKeyType} key: checkpoints are signed with Ed25519.`);
  return publicOf(key);
}

const keyFile = (env: Environment) => join(env.home, 'audit-key.pem');

/** SCHEMAWRIGHT_AUDIT_KEY, or in the embedded default a key generated once, owner-only, in SCHEMAWRIGHT_HOME. */
export function auditKeyFrom(env: Environment): AuditSigningKey {
  if (env.audit.key) return parseAuditKey(env.audit.key);
  const file = keyFile(env);
  const generate = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return parseAuditKey(readOrCreateOwnerOnlyFile(file, generate), file);
}

/** The key `audit verify` checks checkpoints with: SCHEMAWRIGHT_AUDIT_PUBLIC_KEY, or the public half of the signing key. */
export function auditPublicKeyFrom(env: Environment): AuditPublicKey {
  if (env.audit.publicKey) return parseAuditPublicKey(env.audit.publicKey);
  if (env.audit.key) return parseAuditKey(env.audit.key);
  const file = keyFile(env);
  if (existsSync(file)) return parseAuditKey(readFileSync(file, 'utf8'), file);
  throw new ConfigError(
    'no audit key to check the checkpoints with: set SCHEMAWRIGHT_AUDIT_PUBLIC_KEY to the public key `npm start` printed, or run in the directory of `npm start`.',
  );
}

export function signWith(key: AuditSigningKey, text: string): string {
  return sign(null, Buffer.from(text, 'utf8'), key.privateKey).toString('base64');
}

export function signedBy(key: AuditPublicKey, text: string, signature: string): boolean {
  return verify(null, Buffer.from(text, 'utf8'), key.key, Buffer.from(signature, 'base64'));
}
