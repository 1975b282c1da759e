import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { applyMigration, type ApplyOptions } from './';
import { APPLY_LOCK_KEY, type TargetSession } from './session';
import { waitFor } from '../../stack/wait';
import type { Migration } from '../../artifacts/migration';
import { checkOut } from '../../postgres/target-pool';
import { querySql } from '../../test/support/requests';
import { createTargetRoles, createTestDatabase, type TestDatabase } from '../../test/support/stack';

/** What a runner session sees of itself: its backend, its name, and what an earlier session could have left. */
interface Seen {
  pid: number;
  backendStart: string;
  applicationName: string;
  searchPath: string;
  scratch: string | null;
  advisoryLocks: number;
  listedName: string;
}

const seenIn = async (session: TargetSession): Promise<Seen> => {
  const { rows } = await session.client.query<Seen>(
    `SELECT pg_backend_pid() AS pid, a.backend_start::text AS "backendStart",
            current_setting('application_name') AS "applicationName", current_setting('search_path') AS "searchPath",
            to_regclass('pg_temp.scratch')::text AS scratch, a.application_name AS "listedName",
            (SELECT count(*)::int FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND objid = 42) AS "advisoryLocks"
       FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()`,
  );
  return rows[0]!;
};

const step = (name: string, sql: string): Migration => ({
  version: name,
  name,
  steps: [{ kind: 'transactional', name, sql }],
});

/** The runner's connection is a warm one of the target's pool: reused, reset, and replaced when it died idle. */
describe("the runner's warm connection", () => {
  let db: TestDatabase;
  let target: { name: string; connectionString: string };
  beforeEach(async () => {
    db = await createTestDatabase('sw_warm');
    target = { name: 'shop', connectionString: db.url };
  });
  afterEach(() => db.drop());

  /** Applies `migration` as request `requestId`, and returns what its session saw of itself under the lock. */
  const applyAs = async (requestId: string, migration: Migration): Promise<Seen> => {
    let seen: Seen | undefined;
    const options: ApplyOptions = {
      requestId,
      decidedBy: ['ann'],
      applicationName: `schemawright-apply ${requestId}`,
      underLock: async (session) => {
        seen = await seenIn(session);
      },
    };
    await applyMigration(target, migration, options);
    return seen!;
  };
  const checkedOut = async () => {
    const connection = await checkOut(db.url, { applicationName: 'sw-warm (idle)', shown: 'the test database' });
    if (!connection) throw new Error('the pool has no connection to give');
    return connection;
  };
  const listedAs = async (pid: number) =>
    (
      await querySql<{ name: string }>(db.url, 'SELECT application_name AS name FROM pg_stat_activity WHERE pid = $1', [
        pid,
      ])
    )[0]?.name;

  it('serves the next request on the same backend, named for that request, with nothing of the one before', async () => {
    const first = await applyAs(
      'req-1',
      step(
        'leave-things',
        `CREATE SCHEMA x; SET search_path = x; CREATE TEMP TABLE scratch (id int); SELECT pg_advisory_lock(42);`,
      ),
    );
    expect(first).toMatchObject({
      applicationName: 'schemawright-apply req-1',
      listedName: 'schemawright-apply req-1',
    });
    // Back in the pool, it is no longer the request's: a stalled attempt's session is not confused with it.
    expect(await listedAs(first.pid)).toBe('schemawright-apply (idle)');

    const second = await applyAs('req-2', step('nothing', 'SELECT 1'));
    expect(second).toEqual({
      pid: first.pid,
      backendStart: first.backendStart,
      applicationName: 'schemawright-apply req-2',
      listedName: 'schemawright-apply req-2',
      searchPath: '"$user", public',
      scratch: null,
      advisoryLocks: 0,
    });
  });

  it("is reset and reused as the target's applier too, a role that is no superuser", async () => {
    const roles = await createTargetRoles(db);
    try {
      target = { name: 'shop', connectionString: roles.applierUrl };
      const first = await applyAs('req-1', step('set-path', 'CREATE SCHEMA x; SET search_path = x'));
      const second = await applyAs('req-2', step('nothing', 'SELECT 1'));
      expect(second).toMatchObject({ pid: first.pid, searchPath: '"$user", public' });
    } finally {
      await db.drop();
      await roles.drop();
    }
  });

  it('resets what a session set: role, settings, cursors, listens, locks, temporary tables', async () => {
    const used = await checkedOut();
    const { rows } = await used.client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    await used.client.query(
      `SET ROLE pg_read_all_settings; SET lock_timeout = 7; SET statement_timeout = 9; SET application_name = 'sw-warm busy';
       SET client_connection_check_interval = 1000; SET search_path = pg_catalog; LISTEN sw_warm;
       SELECT pg_advisory_lock(42); CREATE TEMP TABLE scratch (id int)`,
    );
    await used.client.query('BEGIN; DECLARE kept CURSOR WITH HOLD FOR SELECT 1; COMMIT');
    await used.release(true);

    const again = await checkedOut();
    try {
      expect(again.warm).toBe(true);
      const { rows: after } = await again.client.query(
        `SELECT pg_backend_pid() AS pid, current_user = session_user AS "ownRole", current_setting('lock_timeout') AS "lockTimeout",
                current_setting('statement_timeout') AS "statementTimeout", current_setting('application_name') AS "applicationName",
                current_setting('client_connection_check_interval') AS "checkInterval", current_setting('search_path') AS "searchPath",
                (SELECT count(*)::int FROM pg_listening_channels()) AS listens,
                (SELECT count(*)::int FROM pg_cursors) AS cursors,
                (SELECT count(*)::int FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory') AS locks,
                to_regclass('pg_temp.scratch')::text AS scratch`,
      );
      expect(after[0]).toEqual({
        pid: rows[0]!.pid,
        ownRole: true,
        lockTimeout: '0',
        statementTimeout: '0',
        applicationName: 'sw-warm (idle)',
        checkInterval: '0',
        searchPath: '"$user", public',
        listens: 0,
        cursors: 0,
        locks: 0,
        scratch: null,
      });
    } finally {
      await again.release(false);
    }
  });

  it('a pooled connection whose backend was terminated while idle does not fail the next apply', async () => {
    const first = await applyAs('req-1', step('one', 'SELECT 1'));
    // Synchronously, so this process reads nothing of the backend's end before the next apply takes
    // its connection: as when a target restarts just before a request.
    execFileSync('psql', [db.url, '-Atc', `SELECT pg_terminate_backend(${first.pid}, 10000)`]);
    const second = await applyAs('req-2', step('two', 'SELECT 2'));
    expect(second.pid).not.toBe(first.pid);
    expect(second.applicationName).toBe('schemawright-apply req-2');
  });

  it('more applies at once than the pool holds each wait for the apply lock on the target, not in the pool', async () => {
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(${APPLY_LOCK_KEY})`);
    const requests = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const applies = Promise.all(requests.map((id) => applyAs(id, step(id, 'SELECT 1'))));
    // Each waits where a person (and the lock watcher) sees it: in pg_locks, under its request's name.
    const waiting = await waitFor('six runners waiting for the apply lock', async () => {
      const rows = await querySql<{ name: string }>(
        db.url,
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1 ORDER BY 1`,
        [APPLY_LOCK_KEY],
      );
      return rows.length === requests.length ? rows.map((r) => r.name) : undefined;
    });
    expect(waiting).toEqual(requests.map((id) => `schemawright-apply ${id}`));
    await holder.end();
    expect((await applies).map((seen) => seen.applicationName)).toEqual(waiting);
  });
});
