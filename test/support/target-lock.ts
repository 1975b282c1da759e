import { Client as PgClient, type Pool } from 'pg';
import { decideRequest, type KickoffRequest, type RequestServices } from '../../approvals/requests';
import { APPLY_LOCK_KEY } from '../../activities/apply/session';
import { querySql, requestHarness, type RequestHarness } from './requests';
import { connectTemporal, createTestStore, uniqueName, type TemporalConnections } from './stack';

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

/** The column names of a table on the target, in order. */
export async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await querySql<{ column_name: string }>(
    url,
    'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return rows.map((r) => r.column_name);
}

/**
 * One request harness (target, in-process worker) and store for a test file, opened before its
 * tests and closed after them; read its fields inside the tests.
 */
export function harnessForFile(options: Parameters<typeof requestHarness>[2] = {}): {
  harness: RequestHarness;
  store: { pool: Pool; close(): Promise<void> };
} {
  const opened = {} as { harness: RequestHarness; store: { pool: Pool; close(): Promise<void> } };
  let temporal: TemporalConnections | undefined;
  beforeAll(async () => {
    temporal = await connectTemporal();
    opened.store = await createTestStore();
    opened.harness = await requestHarness(temporal, opened.store.pool, options);
  });
  afterAll(async () => {
    await opened.harness?.close();
    await opened.store?.close();
    await temporal?.close();
  });
  return opened;
}

/** rita asks to add a note to orders (SQL), on the target; `overrides` change the rest. */
export function changeRequest(target: string, overrides: Partial<KickoffRequest> = {}): KickoffRequest {
  return {
    clientRequestId: uniqueName('req'),
    kind: 'change',
    title: 'add a note to orders',
    target,
    environment: 'production',
    requester: 'rita',
    channel: 'cli',
    source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
    ...overrides,
  };
}
