import { Client as PgClient, type Pool } from 'pg';
import { decideRequest, type RequestServices } from '../../approvals/requests';
import { APPLY_LOCK_KEY } from '../../activities/apply/session';
import { querySql } from './requests';

/** A session of the test's holding the target's apply lock, as another runner would: whatever waits for it waits for the test. */
export async function holdApplyLock(url: string): Promise<{ client: PgClient; release(): Promise<void> }> {
  const client = new PgClient({ connectionString: url, application_name: 'test holding the apply lock' });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1)', [APPLY_LOCK_KEY]);
  return {
    client,
    async release() {
      await client.end();
    },
  };
}

/** An approver (ann or bob) takes a question's recommended option. */
export async function approve(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  requestId: string,
  questionId: string,
  person = 'ann',
): Promise<void> {
  await decideRequest(services, requestId, { questionId, optionId: 'apply', person, channel: 'cli' });
}

/** The target's history rows, step by step: a step applied twice would show as two requests or an error here. */
export async function historyRows(url: string): Promise<{ step: string; status: string; request_id: string }[]> {
  return querySql<{ step: string; status: string; request_id: string }>(
    url,
    `SELECT step, status, request_id FROM schemawright.migration_history ORDER BY started_at`,
  ).catch(() => []);
}

/** The request's audit entries of one kind, in order. */
export async function auditOf(store: Pool, requestId: string, kind: string): Promise<Record<string, unknown>[]> {
  const { rows } = await store.query<{ data: Record<string, unknown> }>(
    'SELECT data FROM audit_log WHERE request_id = $1 AND kind = $2 ORDER BY seq',
    [requestId, kind],
  );
  return rows.map((r) => r.data);
}
