import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import type { StepKind } from '../../artifacts/migration';

/**
 * The target's own record of what was applied: one row per migration step, written in the step's
 * transaction (transactional steps) or around it (the others), so a step is applied iff recorded.
 */
export const HISTORY_TABLE = 'schemawright.migration_history';

export type HistoryStatus = 'running' | 'applied' | 'failed' | 'undone';

export interface HistoryRow {
  version: string;
  name: string;
  step: string;
  kind: StepKind;
  checksum: string;
  status: HistoryStatus;
  /** The request that wrote the row last. */
  requestId: string;
}

export interface StepRecord {
  version: string;
  name: string;
  step: string;
  kind: StepKind;
  checksum: string;
  requestId: string;
  decidedBy: string[];
  startedAt: Date;
  status: HistoryStatus;
  error?: string;
}

/**
 * The SQL as it counts for identity: line endings, trailing blanks and blank edges do not change
 * what runs, so they do not change the checksum. The `v1` names this rule; a new rule gets a new id.
 */
export function canonicalSql(sql: string): string {
  return sql
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()
    .replace(/;$/, '');
}

export function stepChecksum(sql: string): string {
  return `sha256-v1:${createHash('sha256').update(canonicalSql(sql), 'utf8').digest('hex')}`;
}

export async function ensureHistoryTable(client: ClientBase): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS schemawright;
    CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      version      text NOT NULL,
      name         text NOT NULL,
      step         text NOT NULL,
      kind         text NOT NULL,
      checksum     text NOT NULL,
      request_id   text NOT NULL,
      decided_by   text[] NOT NULL DEFAULT '{}',
      started_at   timestamptz NOT NULL,
      finished_at  timestamptz,
      duration_ms  integer,
      status       text NOT NULL CHECK (status IN ('running', 'applied', 'failed', 'undone')),
      error        text,
      PRIMARY KEY (version, step)
    )`);
}

export async function readHistory(client: ClientBase, version?: string): Promise<HistoryRow[]> {
  const { rows } = await client.query<HistoryRow>(
    `SELECT version, name, step, kind, checksum, status, request_id AS "requestId" FROM ${HISTORY_TABLE} ${version === undefined ? '' : 'WHERE version = $1'} ORDER BY started_at`,
    version === undefined ? [] : [version],
  );
  return rows;
}

/** Writes the step's row, replacing an earlier attempt's. Returns the duration recorded. */
export async function recordStep(client: ClientBase, record: StepRecord): Promise<number> {
  const finished = record.status === 'running' ? null : new Date();
  const durationMs = finished ? finished.getTime() - record.startedAt.getTime() : 0;
  await client.query(
    `INSERT INTO ${HISTORY_TABLE} (version, name, step, kind, checksum, request_id, decided_by, started_at, finished_at, duration_ms, status, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (version, step) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, checksum = EXCLUDED.checksum,
       request_id = EXCLUDED.request_id, decided_by = EXCLUDED.decided_by, started_at = EXCLUDED.started_at,
       finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms, status = EXCLUDED.status, error = EXCLUDED.error`,
    [
      record.version,
      record.name,
      record.step,
      record.kind,
      record.checksum,
      record.requestId,
      record.decidedBy,
      record.startedAt,
      finished,
      finished ? durationMs : null,
      record.status,
      record.error ?? null,
    ],
  );
  return durationMs;
}
