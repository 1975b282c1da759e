import { Client } from 'pg';
import { appendAudit, queryAudit, verifyAudit } from '../store/audit';
import { createStorePool, migrateStore } from '../store/database';
import { auditRewriteRights, setupStore } from '../store/least-privilege';
import { createTestDatabase, createTestStore, dropTestRoles, type TestStore } from './support/stack';

/** The attack of issue 14, as the application role: every way around the append-only trigger is refused. */
describe('the store application role', () => {
  let store: TestStore;
  let app: Client;
  beforeAll(async () => {
    store = await createTestStore();
    await appendAudit(store.pool, {
      kind: 'decision',
      requestId: 'r1',
      target: 'orders',
      actor: 'ann',
      data: { option: 'apply' },
    });
    app = new Client({ connectionString: store.appUrl });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
    await store?.close();
  });

  it('cannot switch the trigger off with session_replication_role, nor UPDATE or DELETE entries', async () => {
    await expect(app.query('SET session_replication_role = replica')).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied to set parameter "session_replication_role"',
    });
    await expect(app.query(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied for table audit_log',
    });
    await expect(app.query('DELETE FROM audit_log')).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied for table audit_log',
    });
    await app.query('BEGIN');
    await expect(app.query('SET LOCAL session_replication_role = replica')).rejects.toMatchObject({ code: '42501' });
    await app.query('ROLLBACK');
  });

  it('cannot disable triggers, truncate, insert past the chain, or become the owner', async () => {
    await expect(app.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete')).rejects.toMatchObject({
      code: '42501',
      message: 'must be owner of table audit_log',
    });
    await expect(app.query('ALTER TABLE audit_log DISABLE TRIGGER ALL')).rejects.toMatchObject({ code: '42501' });
    await expect(app.query('TRUNCATE audit_log')).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied for table audit_log',
    });
    await expect(app.query('TRUNCATE audit_checkpoints')).rejects.toMatchObject({ code: '42501' });
    await expect(
      app.query(
        `INSERT INTO audit_log (at, kind, request_id, target, data, prev_hash, hash) VALUES (now(), 'x', 'r', 't', '{}', 'p', 'h')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(app.query(`SET ROLE "${store.db.name}_owner"`)).rejects.toMatchObject({ code: '42501' });
    // No object of its own in public could stand in for the owner's in the append function.
    await expect(app.query('CREATE TABLE public.audit_log_shadow (x int)')).rejects.toMatchObject({ code: '42501' });
    // The append function appends, and only after the newest entry.
    await expect(
      app.query(`SELECT audit_append(now(), 'x', 'r', 't', NULL, NULL, '{}', 'sha256:forged', 'sha256:h')`),
    ).rejects.toMatchObject({ code: '40001' });
    expect((await queryAudit(store.pool)).map((e) => e.actor)).toEqual(['ann']);
    expect(await verifyAudit(store.pool)).toMatchObject({ ok: true, entries: 1 });
  });

  it('has no right beyond appending, while the superuser that set the store up is reported', async () => {
    expect(await auditRewriteRights(store.pool)).toEqual([]);
    expect(await auditRewriteRights(store.admin)).toEqual([expect.stringContaining('is a superuser')]);
    const { rows } = await store.admin.query(
      `SELECT rolsuper, rolreplication, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`,
      [`${store.db.name}_app`],
    );
    expect(rows).toEqual([
      { rolsuper: false, rolreplication: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
    ]);
  });
});

describe('store setup', () => {
  it('brings a store migrated by a superuser under the owner role, keeps its chain, and runs again as a no-op', async () => {
    const db = await createTestDatabase('sw_setup');
    const roles = { owner: `${db.name}_owner`, app: `${db.name}_app` };
    const old = createStorePool(db.url);
    try {
      await migrateStore(old);
      await appendAudit(old, { kind: 'request-created', requestId: 'r1', target: 'orders', data: {} });
      const first = await setupStore(db.url, 'first-password', roles);
      expect(first.applied).toEqual([]);
      const again = await setupStore(db.url, 'second-password', roles);
      expect(again.applied).toEqual([]);
      const { rows } = await old.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S')`,
      );
      expect(rows).toEqual([{ owner: roles.owner }]);
      const app = createStorePool(again.appUrl);
      try {
        await appendAudit(app, { kind: 'decision', requestId: 'r1', target: 'orders', actor: 'ann', data: {} });
        expect(await verifyAudit(app)).toMatchObject({ ok: true, entries: 2 });
        expect(await migrateStore(app)).toEqual([]);
      } finally {
        await app.end();
      }
    } finally {
      await old.end();
      await db.drop();
      await dropTestRoles(roles);
    }
  });
});
