import { generateKeyPairSync } from 'node:crypto';
import { appendAudit, auditEntryHash, queryAudit, verifyAudit, type AuditEntry } from '../store/audit';
import { createReportActivities } from '../activities/report/activity';
import { waitFor } from '../stack/wait';
import { auditCheckpointer, checkpointEveryMinute, readAnchor } from '../store/audit-anchor';
import { checkpointText, newestCheckpoint, verifyAnchoredAudit, writeCheckpoints } from '../store/audit-checkpoints';
import { parseAuditKey, signWith } from '../store/audit-key';
import { createWorker } from '../workers/worker';
import {
  connectTemporal,
  createTestStore,
  uniqueName,
  workflowBundle,
  type TemporalConnections,
  type TestStore,
} from './support/stack';

const newKey = () =>
  parseAuditKey(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

async function appendDecisions(store: TestStore, count: number): Promise<void> {
  for (let i = 1; i <= count; i++)
    await appendAudit(store.pool, {
      kind: 'decision',
      requestId: 'r1',
      target: 'orders',
      actor: `approver${i}`,
      channel: 'web',
      data: { option: 'apply' },
    });
}

/**
 * The attack of issue 14, done as a superuser with the project's own hash function: one entry's content
 * changed (an approver's choice), every later hash recomputed, so the chain alone still says intact.
 */
async function forgeRewrite(store: TestStore, seq: number): Promise<void> {
  const entries = await queryAudit(store.admin);
  await store.admin.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
  let prevHash: string | undefined;
  for (const entry of entries.filter((e) => e.seq >= seq)) {
    const forged: AuditEntry = {
      ...entry,
      data: entry.seq === seq ? { option: 'reject' } : entry.data,
      prevHash: prevHash ?? entry.prevHash,
    };
    forged.hash = auditEntryHash(forged);
    await store.admin.query('UPDATE audit_log SET data = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
      entry.seq,
      JSON.stringify(forged.data),
      forged.prevHash,
      forged.hash,
    ]);
    prevHash = forged.hash;
  }
  await store.admin.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
}

async function asSuperuser(store: TestStore, table: string, sql: string, params: unknown[] = []): Promise<void> {
  await store.admin.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  await store.admin.query(sql, params);
  await store.admin.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
}

describe('the anchored audit chain', () => {
  let store: TestStore;
  const key = newKey();
  beforeEach(async () => {
    store = await createTestStore();
  });
  afterEach(() => store?.close());

  it('names the entry of a forged rewrite whose later hashes were recomputed', async () => {
    await appendDecisions(store, 10);
    await writeCheckpoints(store.pool, key);
    const fourth = (await queryAudit(store.pool))[3];
    await forgeRewrite(store, fourth.seq);
    // What issue 14 saw: the chain alone says intact.
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 10 });
    const result = await verifyAnchoredAudit(store.pool, key, 'not read');
    expect(result).toMatchObject({
      ok: false,
      entries: 3,
      firstBroken: {
        seq: fourth.seq,
        reason: expect.stringContaining(
          'holds for entry 4 of the log: the entry was rewritten and the hashes after it recomputed',
        ),
      },
    });
  });

  it('reports the newest 5 entries deleted as a truncated tail', async () => {
    await appendDecisions(store, 10);
    await writeCheckpoints(store.pool, key);
    await asSuperuser(
      store,
      'audit_log',
      'DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 5)',
    );
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 5 });
    expect(await verifyAnchoredAudit(store.pool, key, 'not read')).toMatchObject({
      ok: false,
      entries: 5,
      truncated: { entries: 5, signedEntries: 10 },
    });
  });

  it('refuses a checkpoint not signed by the key, and does not sign a broken chain', async () => {
    await appendDecisions(store, 3);
    const [first] = await queryAudit(store.pool);
    const other = newKey();
    const unsigned = {
      fromEntries: 0,
      entries: 1,
      headHash: first.hash,
      hashes: [first.hash],
      at: new Date().toISOString(),
      keyId: key.id,
    };
    await store.admin.query(
      'INSERT INTO audit_checkpoints (from_entries, entries, head_hash, hashes, at, key_id, signature) VALUES (0, 1, $1, $2, $3, $4, $5)',
      [first.hash, JSON.stringify([first.hash]), unsigned.at, key.id, signWith(other, checkpointText(unsigned))],
    );
    expect(await verifyAnchoredAudit(store.pool, key, 'not read')).toMatchObject({
      ok: false,
      forged: expect.stringContaining(`is not signed by audit key ${key.id}`),
    });
    await asSuperuser(store, 'audit_log', `UPDATE audit_log SET actor = 'mallory' WHERE seq = $1`, [first.seq + 2]);
    await expect(writeCheckpoints(store.pool, key)).rejects.toThrow(
      `audit entry ${first.seq + 2} is broken (its content does not match its hash)`,
    );
  });

  it("checkpoints at a request's end, from the audit activity without holding it, and every tick while entries are appended", async () => {
    let started = 0;
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const activities = createReportActivities({
      store: store.pool,
      checkpointAudit: async () => {
        started++;
        await released;
        return writeCheckpoints(store.pool, key);
      },
    });
    const entry = { requestId: 'r1', target: 'orders', data: {} };
    await activities.audit({ ...entry, kind: 'phase-started' });
    expect(started).toBe(0);
    // The request's end is audited (and the request shown done) while its checkpoint is still on its way.
    await activities.audit({ ...entry, kind: 'completed' });
    expect(started).toBe(1);
    expect(await newestCheckpoint(store.pool)).toBeUndefined();
    release();
    await waitFor("the checkpoint of the request's end", async () => await newestCheckpoint(store.pool), {
      timeoutMs: 10_000,
    });
    expect(await newestCheckpoint(store.pool)).toMatchObject({ fromEntries: 0, entries: 2 });

    const ticking = checkpointEveryMinute(() => writeCheckpoints(store.pool, key), 50);
    try {
      await appendDecisions(store, 3);
      await waitFor(
        'the tick to checkpoint the new entries',
        async () => ((await newestCheckpoint(store.pool))?.entries === 5 ? true : undefined),
        { timeoutMs: 10_000 },
      );
    } finally {
      await ticking.stop();
    }
    expect(await verifyAnchoredAudit(store.pool, key, 'not read')).toMatchObject({
      ok: true,
      entries: 5,
      checkpoints: 2,
    });
  });

  describe('with the newest checkpoint kept on Temporal', () => {
    let temporal: TemporalConnections;
    beforeAll(async () => {
      temporal = await connectTemporal();
    });
    afterAll(() => temporal?.close());

    it('still names the rewritten entry when the store lost its checkpoints too', async () => {
      const taskQueue = uniqueName('audit_anchor');
      const worker = await createWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        deps: { store: store.pool },
        workflowBundle: await workflowBundle(),
      });
      const anchorKey = newKey();
      const checkpoint = auditCheckpointer({
        store: store.pool,
        key: anchorKey,
        temporal: { client: temporal.client, taskQueue },
      });
      await worker.runUntil(async () => {
        await appendDecisions(store, 4);
        expect(await checkpoint()).toMatchObject({ entries: 4 });
        await appendDecisions(store, 3);
        expect(await checkpoint()).toMatchObject({ fromEntries: 4, entries: 7 });
        expect(await checkpoint()).toBeUndefined();
        expect(await readAnchor(temporal.client, anchorKey)).toMatchObject({ entries: 7 });

        const sixth = (await queryAudit(store.pool))[5];
        await forgeRewrite(store, sixth.seq);
        await asSuperuser(store, 'audit_checkpoints', 'DELETE FROM audit_checkpoints');
        const result = await verifyAnchoredAudit(store.pool, anchorKey, await readAnchor(temporal.client, anchorKey));
        expect(result).toMatchObject({
          ok: false,
          entries: 5,
          checkpoints: 0,
          anchor: { state: 'checked' },
          firstBroken: { seq: sixth.seq, reason: expect.stringContaining('entry 6 of the log') },
        });
      });
      await temporal.client.workflow.getHandle(`schemawright-audit-anchor-${anchorKey.id}`).terminate('test done');
    });
  });
});
