import { AUDIT_GENESIS_HASH, appendAudit, appendAudits, onAppended, queryAudit, verifyAudit } from './audit';
import { createTestStore, type TestStore } from '../test/support/stack';

describe('the audit log', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await createTestStore();
  });
  afterEach(() => store.close());

  it('chains each entry to the one before it, and verifies intact', async () => {
    const first = await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'r1',
      target: 'orders',
      actor: 'rita',
      channel: 'cli',
      data: { title: 'add note', skipped: undefined },
    });
    const second = await appendAudit(store.pool, {
      kind: 'decision',
      requestId: 'r1',
      target: 'orders',
      actor: 'ann',
      channel: 'slack',
      data: { option: 'apply', nested: { b: 1, a: [1, 2.5] } },
    });
    await appendAudit(store.pool, { kind: 'request-created', requestId: 'r2', target: 'billing', data: {} });
    const entries = await queryAudit(store.pool);
    expect(entries.map((e) => [e.seq, e.kind, e.prevHash])).toEqual([
      [first.seq, 'request-created', AUDIT_GENESIS_HASH],
      [second.seq, 'decision', first.hash],
      [expect.any(Number), 'request-created', second.hash],
    ]);
    expect(entries[0].data).toEqual({ title: 'add note' });
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 3 });
  });

  it('appends a batch in one transaction, chained in order, and tells listeners of each entry', async () => {
    const heard: string[] = [];
    onAppended((entry) => heard.push(`${entry.requestId}:${entry.kind}`));
    const first = await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'b1',
      target: 'orders',
      data: {},
    });
    const batch = await appendAudits(store.pool, [
      { kind: 'phase-started', requestId: 'b1', target: 'orders', data: { phase: 'analysis' } },
      { kind: 'decision', requestId: 'b1', target: 'orders', actor: 'ann', channel: 'web', data: { option: 'a' } },
    ]);
    const entries = await queryAudit(store.pool, { requestId: 'b1' });
    expect(entries.map((e) => [e.seq, e.kind, e.prevHash])).toEqual([
      [first.seq, 'request-created', AUDIT_GENESIS_HASH],
      [batch[0].seq, 'phase-started', first.hash],
      [batch[1].seq, 'decision', batch[0].hash],
    ]);
    expect(heard).toEqual(['b1:request-created', 'b1:phase-started', 'b1:decision']);
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 3 });
  });

  it("appends a retried attempt's batch only when the first attempt's is not in the log, keyed in its last entry", async () => {
    const batch = (option: string) => [
      { kind: 'decision', requestId: 'o1', target: 'orders', actor: 'ann', channel: 'web' as const, data: { option } },
      { kind: 'phase-started', requestId: 'o1', target: 'orders', data: { phase: 'apply' } },
    ];
    await appendAudits(store.pool, batch('a'), { key: 'apply run/1', retried: false });
    // The attempt that appended may have failed after: its retry finds the key and appends nothing.
    expect(await appendAudits(store.pool, batch('a'), { key: 'apply run/1', retried: true })).toEqual([]);
    // A first attempt that never appended: its retry does.
    await appendAudits(store.pool, batch('b'), { key: 'apply run/2', retried: true });
    const entries = await queryAudit(store.pool, { requestId: 'o1' });
    expect(entries.map((e) => [e.kind, e.data])).toEqual([
      ['decision', { option: 'a' }],
      ['phase-started', { phase: 'apply', batch: 'apply run/1' }],
      ['decision', { option: 'b' }],
      ['phase-started', { phase: 'apply', batch: 'apply run/2' }],
    ]);
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 4 });
  });

  it('writes data quoting a NUL character (which jsonb refuses) with U+FFFD in its place, and verifies', async () => {
    await appendAudit(store.pool, {
      kind: 'refused',
      requestId: 'r1',
      target: 'orders',
      actor: 'ann',
      data: { comment: 'ok\u0000then', nested: ['\u0000'] },
    });
    const [entry] = await queryAudit(store.pool);
    expect(entry.data).toEqual({ comment: 'ok\uFFFDthen', nested: ['\uFFFD'] });
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 1 });
  });

  it('filters by request, target, actor and time', async () => {
    await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'r1',
      target: 'orders',
      actor: 'rita',
      data: {},
    });
    await appendAudit(store.pool, { kind: 'decision', requestId: 'r1', target: 'orders', actor: 'ann', data: {} });
    await appendAudit(store.pool, {
      kind: 'request-created',
      requestId: 'r2',
      target: 'billing',
      actor: 'ann',
      data: {},
    });
    const kinds = async (filters: Parameters<typeof queryAudit>[1]) =>
      (await queryAudit(store.pool, filters)).map((e) => `${e.requestId}:${e.kind}`);
    expect(await kinds({ requestId: 'r1' })).toEqual(['r1:request-created', 'r1:decision']);
    expect(await kinds({ target: 'billing' })).toEqual(['r2:request-created']);
    expect(await kinds({ actor: 'ann' })).toEqual(['r1:decision', 'r2:request-created']);
    // A limit keeps the newest, oldest first.
    expect(await kinds({ actor: 'ann', limit: 1 })).toEqual(['r2:request-created']);
    expect(await kinds({ limit: 2 })).toEqual(['r1:decision', 'r2:request-created']);
    const [first] = await queryAudit(store.pool);
    const later = new Date(Date.now() + 60_000);
    expect(await kinds({ since: first.at, until: later })).toHaveLength(3);
    expect(await kinds({ since: later })).toEqual([]);
    expect(await kinds({ until: first.at })).toEqual([]);
  });

  it('keeps one chain when many appenders write at once', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        appendAudit(store.pool, { kind: 'reminder', requestId: `r${i % 4}`, target: 't', data: { i } }),
      ),
    );
    const entries = await queryAudit(store.pool);
    expect(new Set(entries.map((e) => e.prevHash)).size).toBe(40);
    expect(await verifyAudit(store.pool)).toEqual({ ok: true, entries: 40 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE, even by the owner', async () => {
    await appendAudit(store.pool, {
      kind: 'decision',
      requestId: 'r1',
      target: 'orders',
      actor: 'ann',
      data: { option: 'apply' },
    });
    await expect(store.admin.query(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toMatchObject({
      code: '42501',
      message: 'audit_log is append-only: UPDATE is refused',
    });
    await expect(store.admin.query('DELETE FROM audit_log')).rejects.toMatchObject({
      message: 'audit_log is append-only: DELETE is refused',
    });
    await expect(store.admin.query('TRUNCATE audit_log')).rejects.toMatchObject({
      message: 'audit_log is append-only: TRUNCATE is refused',
    });
    expect((await queryAudit(store.pool)).map((e) => e.actor)).toEqual(['ann']);
    const grants = await store.pool.query(
      `SELECT privilege_type FROM information_schema.role_table_grants WHERE table_name = 'audit_log' AND grantee = 'PUBLIC'`,
    );
    expect(grants.rows).toEqual([]);
  });

  it("names the first entry changed behind the application's back", async () => {
    for (const option of ['a', 'b', 'c', 'd'])
      await appendAudit(store.pool, {
        kind: 'decision',
        requestId: 'r1',
        target: 'orders',
        actor: 'ann',
        data: { option },
      });
    const [, , third] = await queryAudit(store.pool);
    // A superuser can switch the trigger off: the chain still tells.
    await store.admin.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    await store.admin.query(`UPDATE audit_log SET data = '{"option": "z"}' WHERE seq = $1`, [third.seq]);
    await store.admin.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    expect(await verifyAudit(store.pool)).toEqual({
      ok: false,
      entries: 2,
      firstBroken: { seq: third.seq, reason: expect.stringContaining('does not match its hash') },
    });
  });

  it('names the entry after one that was removed', async () => {
    for (const option of ['a', 'b', 'c'])
      await appendAudit(store.pool, { kind: 'decision', requestId: 'r1', target: 'orders', data: { option } });
    const [, second, third] = await queryAudit(store.pool);
    await store.admin.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    await store.admin.query('DELETE FROM audit_log WHERE seq = $1', [second.seq]);
    await store.admin.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    expect(await verifyAudit(store.pool)).toEqual({
      ok: false,
      entries: 1,
      firstBroken: { seq: third.seq, reason: expect.stringContaining('removed') },
    });
  });
});
