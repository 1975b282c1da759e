import { createHash } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import { canonicalJson } from './canonical-json';

/** Serializes appenders (workers, web, CLI) so that each entry chains to the one before it. */
const AUDIT_APPEND_LOCK_KEY = 0x5357_0002;
/** The previous hash of the first entry. */
export const AUDIT_GENESIS_HASH = `sha256:${'0'.repeat(64)}`;
const VERIFY_BATCH = 5_000;

export interface AuditEntryInput {
  kind: string;
  requestId: string;
  target: string;
  actor?: string;
  channel?: string;
  data: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  at: Date;
  kind: string;
  requestId: string;
  target: string;
  actor: string | null;
  channel: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditFilters {
  requestId?: string;
  kind?: string;
  target?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  /** Only the newest this many. */
  limit?: number;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  firstBroken?: { seq: number; reason: string };
  /** The log has fewer entries than a signed checkpoint says it had: its newest entries were removed. */
  truncated?: { entries: number; signedEntries: number; signedAt: string };
}

/** What signed checkpoints say the chain was: the hash of each position they cover (1-based), and the most entries they saw. */
export interface SignedHashes {
  at(position: number): { hash: string; signedAt: string } | undefined;
  /** Positions from 1 to this one are all covered. */
  coveredThrough: number;
  newest?: { entries: number; signedAt: string };
}

export interface AuditRow {
  seq: string;
  at: Date;
  kind: string;
  request_id: string;
  target: string;
  actor: string | null;
  channel: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/**
 * The hash of an entry: sha256 over the canonical JSON (RFC 8785 for these values) of its content and
 * the previous entry's hash. Exported so that a verifier outside schemawright can be checked against it.
 */
export function auditEntryHash(entry: Omit<AuditEntry, 'seq' | 'hash'>): string {
  const content = {
    at: entry.at.toISOString(),
    kind: entry.kind,
    requestId: entry.requestId,
    target: entry.target,
    actor: entry.actor,
    channel: entry.channel,
    data: entry.data,
    prevHash: entry.prevHash,
  };
  return `sha256:${createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex')}`;
}

/** Appends one entry, chained to the last one, and returns its sequence number and hash. */
const appendedListeners: ((entry: AuditEntryInput) => void)[] = [];

/** Called after each entry this process appends (the worker's and web server's metrics count refusals). */
export function onAppended(listener: (entry: AuditEntryInput) => void): void {
  appendedListeners.push(listener);
}

export async function appendAudit(pool: Pool, input: AuditEntryInput): Promise<{ seq: number; hash: string }> {
  const [appended] = await appendAudits(pool, [input]);
  return appended;
}

/**
 * Entries appended by work that may run more than once (an activity's attempts): `key` goes into the
 * last entry's data as `batch`, and with `retried` an append whose key the log already holds appends nothing.
 */
export interface AppendOnce {
  key: string;
  retried: boolean;
}

/**
 * Appends entries in order, each chained to the one before, in one transaction: a request's
 * transition (its phase, its decisions) costs one round of locking, not one per entry, and three
 * round trips whatever the number of entries.
 */
export async function appendAudits(
  pool: Pool,
  batch: AuditEntryInput[],
  once?: AppendOnce,
): Promise<{ seq: number; hash: string }[]> {
  if (batch.length === 0) return [];
  const inputs = once
    ? batch.map((input, i) => (i < batch.length - 1 ? input : { ...input, data: { ...input.data, batch: once.key } }))
    : batch;
  const client = await pool.connect();
  try {
    const [, , last] = (await client.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${AUDIT_APPEND_LOCK_KEY}); SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`,
    )) as unknown as QueryResult<{ hash: string }>[];
    if (once?.retried) {
      const done = await client.query(`SELECT 1 FROM audit_log WHERE request_id = $1 AND data->>'batch' = $2`, [
        inputs[0]!.requestId,
        once.key,
      ]);
      if (done.rowCount) {
        await client.query('ROLLBACK');
        return [];
      }
    }
    let prevHash = last!.rows[0]?.hash ?? AUDIT_GENESIS_HASH;
    const entries = inputs.map((input) => {
      // What jsonb will give back (no undefined, dates as strings), so that verify hashes the same value;
      // jsonb refuses U+0000, so it becomes U+FFFD: an entry is written whatever text it quotes.
      const data = JSON.parse(
        JSON.stringify(input.data, (_key, value: unknown) =>
          typeof value === 'string' ? value.replaceAll('\u0000', '\uFFFD') : value,
        ),
      ) as Record<string, unknown>;
      const entry = {
        at: new Date(),
        kind: input.kind,
        requestId: input.requestId,
        target: input.target,
        actor: input.actor ?? null,
        channel: input.channel ?? null,
        data,
        prevHash,
      };
      const hash = auditEntryHash(entry);
      prevHash = hash;
      return { ...entry, hash };
    });
    // The application role may not write the table itself: it appends through the owner's function,
    // once per entry in their order (a volatile function in the target list runs after the sort).
    const { rows } = await client.query<{ seq: string }>(
      `SELECT audit_append(e.at, e.kind, e.request_id, e.target, e.actor, e.channel, e.data, e.prev_hash, e.hash) AS seq
         FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[], $9::text[])
              WITH ORDINALITY AS e(at, kind, request_id, target, actor, channel, data, prev_hash, hash, n)
        ORDER BY e.n`,
      [
        entries.map((e) => e.at),
        entries.map((e) => e.kind),
        entries.map((e) => e.requestId),
        entries.map((e) => e.target),
        entries.map((e) => e.actor),
        entries.map((e) => e.channel),
        entries.map((e) => JSON.stringify(e.data)),
        entries.map((e) => e.prevHash),
        entries.map((e) => e.hash),
      ],
    );
    const appended = entries.map((entry, i) => ({ seq: Number(rows[i]!.seq), hash: entry.hash }));
    await client.query('COMMIT');
    // Per entry, as a single append would: metrics and the console's live updates count entries, not batches.
    for (const input of inputs) for (const listener of appendedListeners) listener(input);
    return appended;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    kind: row.kind,
    requestId: row.request_id,
    target: row.target,
    actor: row.actor,
    channel: row.channel,
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Entries matching every filter given, oldest first. */
export async function queryAudit(pool: Pool, filters: AuditFilters = {}): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    params.push(value);
    where.push(condition.replace('?', `$${params.length}`));
  };
  if (filters.requestId !== undefined) add('request_id = ?', filters.requestId);
  if (filters.kind !== undefined) add('kind = ?', filters.kind);
  if (filters.target !== undefined) add('target = ?', filters.target);
  if (filters.actor !== undefined) add('actor = ?', filters.actor);
  if (filters.since !== undefined) add('at >= ?', filters.since);
  if (filters.until !== undefined) add('at < ?', filters.until);
  const selected = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  // A limit keeps the newest entries, still listed oldest first.
  const sql =
    filters.limit === undefined
      ? `${selected} ORDER BY seq`
      : `SELECT * FROM (${selected} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(filters.limit))}) AS newest ORDER BY seq`;
  const { rows } = await pool.query<AuditRow>(sql, params);
  return rows.map(fromRow);
}

/** Why `entry` does not follow the entry hashing to `previousHash`, if it does not. */
export function brokenLink(entry: AuditEntry, previousHash: string): string | undefined {
  return entry.prevHash === previousHash
    ? undefined
    : 'its previous hash is not the hash of the entry before it: an entry between them was removed, inserted or rewritten';
}

/**
 * Recomputes the chain from the first entry, in batches: intact, or the first entry whose content
 * does not match its hash or whose previous hash is not the hash of the entry before it. With the
 * hashes signed checkpoints hold (store/audit-checkpoints.ts), also the first entry whose hash is not
 * the signed one, which catches a rewrite with every later hash recomputed, and a cut tail.
 */
export async function verifyAudit(pool: Pool, signed?: SignedHashes): Promise<AuditVerification> {
  let previous = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let entries = 0;
  for (;;) {
    const { rows } = await pool.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [
      previous.seq,
      VERIFY_BATCH,
    ]);
    for (const row of rows) {
      const entry = fromRow(row);
      if (brokenLink(entry, previous.hash)) {
        const before = previous.seq === 0 ? 'the start of the log' : `entry ${previous.seq}`;
        return {
          ok: false,
          entries,
          firstBroken: {
            seq: entry.seq,
            reason: `its previous hash is not the hash of ${before}: an entry between them was removed, inserted or rewritten`,
          },
        };
      }
      if (auditEntryHash(entry) !== entry.hash) {
        return {
          ok: false,
          entries,
          firstBroken: {
            seq: entry.seq,
            reason: 'its content does not match its hash: the entry was changed after it was written',
          },
        };
      }
      const expected = signed?.at(entries + 1);
      if (expected && expected.hash !== entry.hash) {
        const where =
          signed!.coveredThrough >= entries
            ? 'the entry was rewritten and the hashes after it recomputed'
            : `the log was rewritten at or before this entry (no checkpoint in the store covers entries ${signed!.coveredThrough + 1} to ${entries}: were they removed?)`;
        return {
          ok: false,
          entries,
          firstBroken: {
            seq: entry.seq,
            reason: `its hash is not the one the checkpoint signed at ${expected.signedAt} holds for entry ${entries + 1} of the log: ${where}`,
          },
        };
      }
      entries += 1;
      previous = { seq: entry.seq, hash: entry.hash };
    }
    if (rows.length < VERIFY_BATCH) break;
  }
  const newest = signed?.newest;
  if (newest && entries < newest.entries)
    return { ok: false, entries, truncated: { entries, signedEntries: newest.entries, signedAt: newest.signedAt } };
  return { ok: true, entries };
}
