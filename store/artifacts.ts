import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

export interface ArtifactRef {
  digest: string;
  kind: string;
  sizeBytes: number;
}

export interface Artifact extends ArtifactRef {
  mediaType: string;
  content: string;
}

export function digestOf(content: string): string {
  return `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
}

/** Stores content once under its digest; storing the same content again is a no-op that returns the same ref. */
export async function putArtifact(pool: Pool, kind: string, mediaType: string, content: string): Promise<ArtifactRef> {
  const digest = digestOf(content);
  const sizeBytes = Buffer.byteLength(content, 'utf8');
  await pool.query(
    `INSERT INTO artifacts (digest, kind, media_type, content, size_bytes) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (digest) DO NOTHING`,
    [digest, kind, mediaType, content, sizeBytes],
  );
  return { digest, kind, sizeBytes };
}

/**
 * The artifact a request names, looked up as its own property: a name such as `constructor` or
 * `__proto__` reaches the object's prototype otherwise, and names no artifact.
 */
export function artifactNamed(artifacts: Record<string, ArtifactRef>, name: string): ArtifactRef | undefined {
  return Object.hasOwn(artifacts, name) ? artifacts[name] : undefined;
}

export async function getArtifact(pool: Pool, digest: string): Promise<Artifact> {
  const { rows } = await pool.query<{ kind: string; media_type: string; content: string; size_bytes: number }>(
    'SELECT kind, media_type, content, size_bytes FROM artifacts WHERE digest = $1',
    [digest],
  );
  if (!rows[0]) throw new Error(`No artifact ${digest} in the store.`);
  const { kind, media_type: mediaType, content, size_bytes: sizeBytes } = rows[0];
  if (digestOf(content) !== digest)
    throw new Error(`Artifact ${digest} does not match its digest: the store was altered.`);
  return { digest, kind, mediaType, content, sizeBytes };
}

/** An artifact stored as JSON, read back as the value it was. */
export async function getJson<T>(pool: Pool, ref: ArtifactRef): Promise<T> {
  return JSON.parse((await getArtifact(pool, ref.digest)).content) as T;
}

export function putJson(pool: Pool, kind: string, value: unknown): Promise<ArtifactRef> {
  return putArtifact(pool, kind, 'application/json', JSON.stringify(value));
}
