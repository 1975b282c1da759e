import type { Pool } from 'pg';
import {
  AUDIT_GENESIS_HASH,
  auditEntryHash,
  brokenLink,
  fromRow,
  verifyAudit,
  type AuditRow,
  type AuditVerification,
} from './audit';
import { signedBy, signWith, type AuditPublicKey, type AuditSigningKey } from './audit-key';
import { canonicalJson } from './canonical-json';

/** The checkpoint lock of audit_checkpoint_append (004_audit_append_functions.sql). */
const CHECKPOINT_LOCK_KEY = 0x5357_0003;
/** At most this many entries per checkpoint, so that one stays small enough for a Temporal signal. */
const MAX_SPAN = 2_000;

/**
 * A signed statement of the chain head, after CloudTrail's digest files and Certificate Transparency's
 * signed tree heads: "the log had `entries` entries, the last one hashing to `headHash`", with the hash
 * of every entry since the previous checkpoint, so that `audit verify` can name the first entry a
 * rewrite changed even when every later hash was recomputed.
 */
export interface AuditCheckpoint {
  fromEntries: number;
  entries: number;
  headHash: string;
  /** The hashes of entries fromEntries+1 .. entries, in order. */
  hashes: string[];
  at: string;
  keyId: string;
  signature: string;
}

/** What is signed: the checkpoint without its signature, as canonical JSON, behind a label no other signature uses. */
export function checkpointText(checkpoint: Omit<AuditCheckpoint, 'signature'>): string {
  const { fromEntries, entries, headHash, hashes, at, keyId } = checkpoint;
  return `schemawright audit checkpoint v1\n${canonicalJson({ fromEntries, entries, headHash, hashes, at, keyId })}`;
}

export function checkpointSigned(checkpoint: AuditCheckpoint, key: AuditPublicKey): boolean {
  return checkpoint.keyId === key.id && signedBy(key, checkpointText(checkpoint), checkpoint.signature);
}

interface CheckpointRow {
  from_entries: string;
  entries: string;
  head_hash: string;
  hashes: string[];
  at: Date;
  key_id: string;
  signature: string;
}

const fromCheckpointRow = (row: CheckpointRow): AuditCheckpoint => ({
  fromEntries: Number(row.from_entries),
  entries: Number(row.entries),
  headHash: row.head_hash,
  hashes: row.hashes,
  at: row.at.toISOString(),
  keyId: row.key_id,
  signature: row.signature,
});

/** The store's checkpoints, oldest first. */
export async function readCheckpoints(pool: Pool): Promise<AuditCheckpoint[]> {
  const { rows } = await pool.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY entries');
  return rows.map(fromCheckpointRow);
}

export async function newestCheckpoint(pool: Pool): Promise<AuditCheckpoint | undefined> {
  const { rows } = await pool.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY entries DESC LIMIT 1');
  return rows[0] && fromCheckpointRow(rows[0]);
}

/**
 * Signs and stores checkpoints of the entries appended since the newest checkpoint, after checking
 * that they chain to it: a chain already broken is never signed. Returns the newest checkpoint
 * written, or undefined when no entry was appended since.
 */
export async function writeCheckpoints(pool: Pool, key: AuditSigningKey): Promise<AuditCheckpoint | undefined> {
  let written: AuditCheckpoint | undefined;
  for (;;) {
    const checkpoint = await writeOneCheckpoint(pool, key);
    if (!checkpoint) return written;
    written = checkpoint;
  }
}

async function writeOneCheckpoint(pool: Pool, key: AuditSigningKey): Promise<AuditCheckpoint | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [CHECKPOINT_LOCK_KEY]);
    const last = (
      await client.query<{ entries: string; head_hash: string }>(
        'SELECT entries, head_hash FROM audit_checkpoints ORDER BY entries DESC LIMIT 1',
      )
    ).rows[0];
    const fromEntries = Number(last?.entries ?? 0);
    const previousHash = last?.head_hash ?? AUDIT_GENESIS_HASH;
    let afterSeq = 0;
    if (last) {
      const head = await client.query<{ seq: string }>('SELECT seq FROM audit_log WHERE hash = $1', [previousHash]);
      if (!head.rows[0])
        throw new Error(
          `the entry the newest checkpoint ends with (${previousHash}) is gone from the audit log: run \`schemawright audit verify\`; no checkpoint was signed`,
        );
      afterSeq = Number(head.rows[0].seq);
    }
    const { rows } = await client.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [
      afterSeq,
      MAX_SPAN,
    ]);
    if (rows.length === 0) {
      await client.query('ROLLBACK');
      return undefined;
    }
    let previous = previousHash;
    for (const entry of rows.map(fromRow)) {
      const problem =
        brokenLink(entry, previous) ??
        (auditEntryHash(entry) === entry.hash ? undefined : 'its content does not match its hash');
      if (problem)
        throw new Error(
          `audit entry ${entry.seq} is broken (${problem}): run \`schemawright audit verify\`; no checkpoint was signed`,
        );
      previous = entry.hash;
    }
    const unsigned = {
      fromEntries,
      entries: fromEntries + rows.length,
      headHash: previous,
      hashes: rows.map((r) => r.hash),
      at: new Date().toISOString(),
      keyId: key.id,
    };
    const checkpoint = { ...unsigned, signature: signWith(key, checkpointText(unsigned)) };
    await client.query('SELECT audit_checkpoint_append($1, $2, $3, $4, $5, $6, $7)', [
      checkpoint.fromEntries,
      checkpoint.entries,
      checkpoint.headHash,
      JSON.stringify(checkpoint.hashes),
      checkpoint.at,
      checkpoint.keyId,
      checkpoint.signature,
    ]);
    await client.query('COMMIT');
    return checkpoint;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface AnchoredVerification extends AuditVerification {
  /** Checkpoints in the store, all signed by the key. */
  checkpoints: number;
  /** A checkpoint not signed by the key (forged, altered, or signed by another key). */
  forged?: string;
  /**
   * The newest checkpoint of the log outside the store (the audit-anchor workflow): checked with the
   * others, missing although the store has checkpoints, or not read (`--no-anchor`).
   */
  anchor: { state: 'checked'; checkpoint: AuditCheckpoint } | { state: 'missing' | 'empty' | 'not read' };
}

/**
 * `audit verify`: every checkpoint (the store's, and the newest one kept outside it) must be signed by
 * `key`; then the chain must hold, every covered entry must have the hash a checkpoint signed for it,
 * and the log must have at least as many entries as the newest checkpoint says it had.
 */
export async function verifyAnchoredAudit(
  pool: Pool,
  key: AuditPublicKey,
  anchored: AuditCheckpoint | null | 'not read',
): Promise<AnchoredVerification> {
  const stored = await readCheckpoints(pool);
  const anchor: AnchoredVerification['anchor'] =
    anchored === 'not read'
      ? { state: 'not read' }
      : anchored
        ? { state: 'checked', checkpoint: anchored }
        : { state: stored.length ? 'missing' : 'empty' };
  const all = anchor.state === 'checked' ? [...stored, anchor.checkpoint] : stored;
  for (const checkpoint of all) {
    const whole =
      checkpoint.hashes.length === checkpoint.entries - checkpoint.fromEntries &&
      checkpoint.hashes.at(-1) === checkpoint.headHash;
    if (!whole || !checkpointSigned(checkpoint, key)) {
      const where =
        checkpoint === anchored
          ? 'the newest checkpoint kept outside the store'
          : `the store's checkpoint of ${checkpoint.at}`;
      return {
        ok: false,
        entries: 0,
        checkpoints: stored.length,
        anchor,
        forged: `${where} (entries ${checkpoint.fromEntries + 1} to ${checkpoint.entries}) is not signed by audit key ${key.id}: it was forged or altered`,
      };
    }
  }
  const byPosition: { hash: string; signedAt: string }[] = [];
  for (const checkpoint of all)
    checkpoint.hashes.forEach(
      (hash, i) => (byPosition[checkpoint.fromEntries + i + 1] = { hash, signedAt: checkpoint.at }),
    );
  let coveredThrough = 0;
  while (byPosition[coveredThrough + 1]) coveredThrough++;
  const newest = all.reduce<AuditCheckpoint | undefined>((a, b) => (a && a.entries >= b.entries ? a : b), undefined);
  const result = await verifyAudit(pool, {
    at: (position) => byPosition[position],
    coveredThrough,
    newest: newest && { entries: newest.entries, signedAt: newest.at },
  });
  return { ...result, checkpoints: stored.length, anchor };
}
