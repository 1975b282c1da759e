import { Client } from 'pg';
import {
  applyMigration,
  applyMigrations,
  ApplyLockBusyError,
  LockContentionError,
  MigrationChecksumError,
  MigrationFailedError,
  revertMigrations,
  RevertRefusedError,
  stepChecksum,
  type ApplyProgress,
} from './';
import { ensureHistoryTable, recordStep } from './history';
import { APPLY_LOCK_KEY } from './session';
import type { Migration } from '../../artifacts/migration';
import { waitFor } from '../../stack/wait';
import { querySql, runSql } from '../../test/support/requests';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';

const SETUP = `
  CREATE TABLE effects (step text NOT NULL);
  CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false);
  INSERT INTO items (id) SELECT generate_series(1, 25);`;

/** One step of each kind; each records its effect so "exactly once" can be counted. */
const MIGRATION: Migration = {
  version: '1',
  name: 'notes',
  steps: [
    {
      kind: 'transactional',
      name: 'create-notes',
      sql: `CREATE TABLE notes (id int);\nINSERT INTO effects VALUES ('create-notes');`,
      undo: `DROP TABLE notes; DELETE FROM effects WHERE step = 'create-notes'`,
    },
    {
      kind: 'non-transactional',
      name: 'index-n',
      sql: 'CREATE INDEX CONCURRENTLY items_n_idx ON items (n)',
      undo: 'DROP INDEX CONCURRENTLY items_n_idx',
    },
    {
      kind: 'backfill',
      name: 'count-items',
      batchSize: 10,
      sql: 'UPDATE items SET n = n + 1, done = true WHERE id IN (SELECT id FROM items WHERE NOT done ORDER BY id LIMIT $1)',
      undo: 'UPDATE items SET n = n - 1, done = false',
    },
    {
      kind: 'transactional',
      name: 'mark-done',
      sql: `INSERT INTO effects VALUES ('mark-done')`,
      undo: `DELETE FROM effects WHERE step = 'mark-done'`,
    },
  ],
};

describe('applyMigration', () => {
  let db: TestDatabase;
  let target: { name: string; connectionString: string };
  beforeEach(async () => {
    db = await createTestDatabase('sw_apply');
    target = { name: 'shop', connectionString: db.url };
    await runSql(db.url, SETUP);
  });
  afterEach(() => db.drop());

  const options = (events: ApplyProgress[] = []) => ({
    requestId: 'req-1',
    decidedBy: ['ann', 'bob'],
    onProgress: (e: ApplyProgress) => events.push(e),
  });
  const effects = async () =>
    (await querySql<{ step: string }>(db.url, 'SELECT step FROM effects ORDER BY step')).map((r) => r.step);
  const history = () =>
    querySql<{
      step: string;
      status: string;
      checksum: string;
      request_id: string;
      decided_by: string[];
      duration_ms: number | null;
    }>(db.url, 'SELECT * FROM schemawright.migration_history ORDER BY started_at');

  it('applies each step once, records it, and a second run skips them all', async () => {
    const events: ApplyProgress[] = [];
    const first = await applyMigration(target, MIGRATION, options(events));
    expect(first).toMatchObject({ steps: 4, applied: 4, alreadyApplied: 0 });
    expect(first.results.map((r) => `${r.step} ${r.status}`)).toEqual([
      'create-notes applied',
      'index-n applied',
      'count-items applied',
      'mark-done applied',
    ]);
    expect(events.filter((e) => e.status === 'progress').map((e) => e.detail)).toEqual([
      'batch 1: 10 rows (10 in all)',
      'batch 2: 10 rows (20 in all)',
      'batch 3: 5 rows (25 in all)',
    ]);
    expect(events.filter((e) => e.status === 'applied').map((e) => `${e.index}/${e.of}`)).toEqual([
      '1/4',
      '2/4',
      '3/4',
      '4/4',
    ]);
    const rows = await history();
    expect(rows.map((r) => [r.step, r.status, r.request_id, r.decided_by])).toEqual(
      MIGRATION.steps.map((s) => [s.name, 'applied', 'req-1', ['ann', 'bob']]),
    );
    expect(rows.map((r) => r.checksum)).toEqual(first.results.map((r) => r.checksum));
    rows.forEach((r) => expect(r.checksum).toMatch(/^sha256-v1:[0-9a-f]{64}$/));

    const again: ApplyProgress[] = [];
    const second = await applyMigration(target, MIGRATION, options(again));
    expect(second).toMatchObject({ steps: 4, applied: 0, alreadyApplied: 4 });
    expect(again.map((e) => e.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(await effects()).toEqual(['create-notes', 'mark-done']);
    expect(await querySql(db.url, 'SELECT DISTINCT n FROM items')).toEqual([{ n: 1 }]);
  });

  it('runs beforeRelease once, after the last step, in its session while it still holds the apply lock', async () => {
    const seen: { steps: string[]; lockedByIt: boolean }[] = [];
    const note: Migration = {
      version: '2',
      name: 'note',
      steps: [{ kind: 'transactional', name: 'add-note', sql: 'ALTER TABLE items ADD COLUMN note text' }],
    };
    await applyMigrations(target, [MIGRATION, note], {
      ...options(),
      beforeRelease: async (session) => {
        const steps = await session.client.query<{ step: string }>(
          `SELECT version || '/' || step AS step FROM schemawright.migration_history ORDER BY started_at`,
        );
        const lock = await querySql(
          db.url,
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = ${APPLY_LOCK_KEY}
             AND pid = (SELECT pid FROM pg_stat_activity WHERE application_name = 'schemawright-apply')`,
        );
        seen.push({ steps: steps.rows.map((r) => r.step), lockedByIt: lock.length === 1 });
      },
    });
    expect(seen).toEqual([
      {
        steps: [...MIGRATION.steps.map((step) => `1/${step.name}`), '2/add-note'],
        lockedByIt: true,
      },
    ]);
  });

  it('refuses an applied step whose SQL changed, before running anything', async () => {
    await applyMigration(target, MIGRATION, options());
    const edited: Migration = {
      ...MIGRATION,
      steps: [
        { ...MIGRATION.steps[0], sql: `${MIGRATION.steps[0].sql}\nINSERT INTO effects VALUES ('again');` },
        ...MIGRATION.steps.slice(1),
      ],
    };
    const error = await applyMigration(target, edited, options()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect(error).toMatchObject({ name: 'MigrationChecksumError', step: 'create-notes', version: '1' });
    expect((error as Error).message).toMatch(
      /applied with checksum sha256-v1:[0-9a-f]{64}, but its SQL now has checksum sha256-v1:[0-9a-f]{64}/,
    );
    expect(await effects()).toEqual(['create-notes', 'mark-done']);
    // Whitespace is not a change.
    const reformatted: Migration = {
      ...MIGRATION,
      steps: MIGRATION.steps.map((s) => ({
        ...s,
        sql: `\n${s.sql.replace(/\n/g, '   \r\n')}${s.sql.endsWith(';') ? '' : ';'}\n`,
      })),
    };
    expect(await applyMigration(target, reformatted, options())).toMatchObject({ alreadyApplied: 4 });
  });

  it('on a failing step reports the database error and undoes the completed steps', async () => {
    const failing: Migration = {
      ...MIGRATION,
      steps: [
        ...MIGRATION.steps.slice(0, 2),
        { kind: 'transactional', name: 'bad-column', sql: 'ALTER TABLE items ADD COLUMN n int' },
      ],
    };
    const error = (await applyMigration(target, failing, options()).catch((e: Error) => e)) as MigrationFailedError;
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error.name).toBe('MigrationFailedError');
    expect(error.databaseError).toEqual({ message: 'column "n" of relation "items" already exists', code: '42701' });
    expect(error.undone).toEqual(['index-n', 'create-notes']);
    expect(error.applied).toEqual([]);
    expect(error.remaining).toEqual(['bad-column']);
    expect(error.message).toContain(
      'Step bad-column of migration 1 failed: column "n" of relation "items" already exists [42701]. Undid index-n, create-notes (newest first)',
    );
    expect(await effects()).toEqual([]);
    expect(await querySql(db.url, `SELECT to_regclass('notes') AS notes, to_regclass('items_n_idx') AS idx`)).toEqual([
      { notes: null, idx: null },
    ]);
    expect((await history()).map((r) => `${r.step} ${r.status}`).sort()).toEqual([
      'bad-column failed',
      'create-notes undone',
      'index-n undone',
    ]);

    // Fixed, it goes through, each step once.
    const fixed: Migration = {
      ...failing,
      steps: [
        ...failing.steps.slice(0, 2),
        { kind: 'transactional', name: 'bad-column', sql: 'ALTER TABLE items ADD COLUMN m int' },
      ],
    };
    expect(await applyMigration(target, fixed, options())).toMatchObject({ applied: 3 });
    expect(await effects()).toEqual(['create-notes']);
  });

  it('gives the database position of the error, and stops without undoing when a completed step has no undo', async () => {
    const failing: Migration = {
      version: '2',
      name: 'no-undo',
      steps: [
        { kind: 'transactional', name: 'add', sql: `INSERT INTO effects VALUES ('add')` },
        { kind: 'transactional', name: 'typo', sql: 'SELECT 1;\nINSERT INTO itemz VALUES (1)' },
        { kind: 'transactional', name: 'after', sql: 'SELECT 1' },
      ],
    };
    const error = (await applyMigration(target, failing, options()).catch((e: Error) => e)) as MigrationFailedError;
    expect(error.databaseError).toEqual({
      message: 'relation "itemz" does not exist',
      code: '42P01',
      position: 23,
      line: 2,
      column: 13,
    });
    expect(error.applied).toEqual(['add']);
    expect(error.undone).toEqual([]);
    expect(error.remaining).toEqual(['typo', 'after']);
    expect(error.message).toContain(
      'Step typo of migration 2 failed at line 2, column 13: relation "itemz" does not exist [42P01]',
    );
    expect(error.message).toContain(
      'Nothing was undone, because add has no undo. Applied and still in place: add. Not applied: typo, after.',
    );
    expect(await effects()).toEqual(['add']);
  });

  it('retries a step blocked by a lock, then gives up naming who blocks', async () => {
    const blocker = new Client({ connectionString: db.url, application_name: 'long-report' });
    await blocker.connect();
    await blocker.query('BEGIN');
    const {
      rows: [{ pid }],
    } = await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await blocker.query('SELECT count(*) FROM items');
    const events: ApplyProgress[] = [];
    const migration: Migration = {
      version: '3',
      name: 'note',
      steps: [{ kind: 'transactional', name: 'add-note', sql: 'ALTER TABLE items ADD COLUMN note text' }],
    };
    const error = (await applyMigration(target, migration, {
      ...options(events),
      lockTimeoutMs: 400,
      lockRetries: 2,
    }).catch((e: Error) => e)) as LockContentionError;
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(error).toBeInstanceOf(LockContentionError);
    expect(error.name).toBe('LockContentionError');
    expect(error.attempts).toBe(3);
    expect(events.filter((e) => e.status === 'retrying').map((e) => e.detail)).toEqual([
      expect.stringMatching(/^lock not granted within 400 ms .*retry 1 of 2/),
      expect.stringMatching(/retry 2 of 2/),
    ]);
    expect(error.evidence).toMatchObject({
      relation: 'items',
      wantedMode: 'AccessExclusiveLock',
      blockers: [
        {
          pid,
          applicationName: 'long-report',
          state: 'idle in transaction',
          query: 'SELECT count(*) FROM items',
          modes: ['AccessShareLock'],
        },
      ],
    });
    expect(error.message).toContain(
      `blocked by pid ${pid} (long-report, idle in transaction, holding AccessShareLock).`,
    );
    expect(error.message).not.toContain('SELECT count(*) FROM items');
    expect(
      await querySql(
        db.url,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a second runner on the same target waits, then says who holds the target', async () => {
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const migration: Migration = {
      version: '4',
      name: 'note',
      steps: [{ kind: 'transactional', name: 'add-note', sql: 'ALTER TABLE items ADD COLUMN note text' }],
    };
    const first = applyMigration(target, migration, { ...options(), lockTimeoutMs: 60_000 });
    await waitFor('the first runner to wait on the table lock', async () =>
      (
        await querySql(
          db.url,
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'schemawright-apply' AND wait_event_type = 'Lock' AND wait_event = 'relation'`,
        )
      ).length
        ? true
        : undefined,
    );
    const second = await applyMigration(target, migration, { ...options(), applyLockWaitMs: 300 }).catch(
      (e: Error) => e,
    );
    expect(second).toBeInstanceOf(ApplyLockBusyError);
    expect((second as Error).message).toMatch(
      /^Another migration run holds the apply lock of shop \(pid \d+, schemawright-apply, connected since .*\); waited 300 ms/,
    );
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(await first).toMatchObject({ applied: 1 });
  });

  it('repairs the INVALID index a failed CONCURRENTLY build left, on the retry', async () => {
    const migration: Migration = {
      version: '5',
      name: 'unique-n',
      steps: [
        {
          kind: 'non-transactional',
          name: 'unique-n',
          sql: 'CREATE UNIQUE INDEX CONCURRENTLY items_n_key ON items (n)',
        },
      ],
    };
    const failed = (await applyMigration(target, migration, options()).catch((e: Error) => e)) as MigrationFailedError;
    expect(failed.databaseError.code).toBe('23505');
    // The duplicated row's values stay in the error's evidence, out of its message (which reaches history, Slack and mail).
    expect(failed.databaseError.detail).toMatch(/^Key \(n\)=\(0\) is duplicated\.$/);
    expect(failed.message).not.toContain('Key (n)');
    const invalid = `SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass('items_n_key')`;
    expect(await querySql(db.url, invalid)).toEqual([{ valid: false }]);

    await runSql(db.url, 'UPDATE items SET n = id');
    const events: ApplyProgress[] = [];
    expect(await applyMigration(target, migration, options(events))).toMatchObject({ applied: 1 });
    expect(events.map((e) => e.detail)).toContain(
      'dropped INVALID index items_n_key left by an interrupted build; building it again',
    );
    expect(await querySql(db.url, invalid)).toEqual([{ valid: true }]);
    expect((await history()).map((r) => `${r.step} ${r.status}`)).toEqual(['unique-n applied']);
  });

  it('a CONCURRENTLY build that timed out on a lock leaves an INVALID index: the retry drops it and builds again', async () => {
    // The build creates its index, then waits for this open write: lock_timeout fires there.
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    await writer.query('BEGIN; INSERT INTO items (id) VALUES (100)');
    const events: ApplyProgress[] = [];
    const released: Promise<unknown>[] = [];
    const migration: Migration = {
      version: '7',
      name: 'index-n',
      steps: [
        { kind: 'non-transactional', name: 'index-n', sql: 'CREATE INDEX CONCURRENTLY items_n_idx ON items (n)' },
      ],
    };
    const result = await applyMigration(target, migration, {
      ...options(),
      lockTimeoutMs: 300,
      onProgress: (event) => {
        events.push(event);
        // The writer finishes while the runner backs off.
        if (event.status === 'retrying' && released.length === 0)
          released.push(writer.query('ROLLBACK').then(() => writer.end()));
      },
    });
    await Promise.all(released);
    expect(result).toMatchObject({ applied: 1 });
    expect(events.map((e) => e.detail)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lock not granted within 300 ms.*; retry 1 of 5/),
        'dropped INVALID index items_n_idx left by an interrupted build; building it again',
      ]),
    );
    expect(
      await querySql(db.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('items_n_idx')`),
    ).toEqual([{ valid: true }]);
  });

  it('a build whose backend was killed, with no time to reconnect, stops saying the index is INVALID; the retry repairs it', async () => {
    // An open writing transaction makes the build wait after it has created the (still INVALID) index.
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    await writer.query('BEGIN; INSERT INTO items (id) VALUES (100)');
    const migration: Migration = {
      version: '6',
      name: 'index-n',
      steps: [
        { kind: 'non-transactional', name: 'index-n', sql: 'CREATE INDEX CONCURRENTLY items_n_idx ON items (n)' },
      ],
    };
    const run = applyMigration(target, migration, { ...options(), lockTimeoutMs: 60_000, reconnectWindowMs: 0 }).catch(
      (e: Error) => e,
    );
    const pid = await waitFor('the build to wait with its index INVALID', async () => {
      const [row] = await querySql<{ pid: number }>(
        db.url,
        `SELECT a.pid FROM pg_stat_activity a WHERE a.application_name = 'schemawright-apply' AND a.wait_event_type = 'Lock' AND a.query LIKE 'CREATE INDEX CONCURRENTLY%' AND EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('items_n_idx') AND NOT indisvalid)`,
      );
      return row?.pid;
    });
    await runSql(db.url, `SELECT pg_terminate_backend(${pid})`);
    const killed = (await run) as MigrationFailedError;
    expect(killed).toBeInstanceOf(MigrationFailedError);
    expect(killed.message).toContain(
      'The connection to the target was lost and not regained within 0 s, so nothing was undone. ' +
        'On the target now (its history table and catalog): no step of these migrations is applied. ' +
        'Left behind: index-n stopped mid-way, index items_n_idx is INVALID (pg_index.indisvalid is false): queries do not use it, writes still maintain it. ' +
        'Not applied: index-n of 6. A retry: for index-n, drops it (DROP INDEX CONCURRENTLY) and builds it again; runs the rest.',
    );
    await writer.query('ROLLBACK');
    await writer.end();

    const events: ApplyProgress[] = [];
    expect(await applyMigration(target, migration, options(events))).toMatchObject({ applied: 1 });
    expect(events.map((e) => e.detail)).toContain(
      'dropped INVALID index items_n_idx left by an interrupted build; building it again',
    );
    expect(
      await querySql(db.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('items_n_idx')`),
    ).toEqual([{ valid: true }]);
  });

  it('a DROP INDEX CONCURRENTLY that finished before its run died is recorded on the retry, not run again', async () => {
    await runSql(db.url, 'CREATE INDEX items_n_idx ON items (n)');
    const migration: Migration = {
      version: '8',
      name: 'drop-n',
      steps: [{ kind: 'non-transactional', name: 'drop-n', sql: 'DROP INDEX CONCURRENTLY items_n_idx' }],
    };
    // What a run killed between the drop and its history row leaves: the row says running, the index is gone.
    await runSql(db.url, 'DROP INDEX items_n_idx');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await ensureHistoryTable(client);
      await recordStep(client, {
        version: '8',
        name: 'drop-n',
        step: 'drop-n',
        kind: 'non-transactional',
        checksum: stepChecksum(migration.steps[0]!.sql),
        requestId: 'req-1',
        decidedBy: ['ann'],
        startedAt: new Date(),
        status: 'running',
      });
    } finally {
      await client.end();
    }
    const events: ApplyProgress[] = [];
    expect(await applyMigration(target, migration, options(events))).toMatchObject({ applied: 1 });
    expect(events.map((e) => e.detail)).toContain(
      'index items_n_idx was dropped by the interrupted attempt; recorded, not dropped again',
    );
    expect((await history()).map((r) => `${r.step} ${r.status}`)).toEqual(['drop-n applied']);
  });

  it('reverts a migration whose down drops an index CONCURRENTLY: the down runs step by step, each with its history row', async () => {
    const migration: Migration = {
      version: '9',
      name: 'notes-and-index',
      steps: [
        { kind: 'transactional', name: 'create-notes', sql: 'CREATE TABLE notes (id int)' },
        { kind: 'non-transactional', name: 'index-n', sql: 'CREATE INDEX CONCURRENTLY items_n_idx ON items (n)' },
      ],
      down: 'DROP INDEX CONCURRENTLY items_n_idx;\nDROP TABLE notes;',
    };
    await applyMigration(target, migration, options());
    expect(await revertMigrations(target, [migration], options())).toMatchObject({ reverted: ['9'] });
    expect(await querySql(db.url, `SELECT to_regclass('items_n_idx') AS idx, to_regclass('notes') AS notes`)).toEqual([
      { idx: null, notes: null },
    ]);
    expect((await history()).map((r) => `${r.step} ${r.status} ${r.request_id}`)).toEqual([
      'create-notes undone req-1',
      'index-n undone req-1',
      'revert req-1#1 applied req-1',
      'revert req-1#2 applied req-1',
    ]);
  });

  it('a migration applied again after a revert is reverted again: each revert has its own history rows', async () => {
    const migration: Migration = {
      version: '12',
      name: 'notes',
      steps: [{ kind: 'transactional', name: 'create-notes', sql: 'CREATE TABLE notes (id int)' }],
      down: 'DROP TABLE notes;',
    };
    await applyMigration(target, migration, options());
    await revertMigrations(target, [migration], { ...options(), requestId: 'revert-1' });
    expect(await applyMigration(target, migration, options())).toMatchObject({ applied: 1 });
    expect(await revertMigrations(target, [migration], { ...options(), requestId: 'revert-2' })).toMatchObject({
      reverted: ['12'],
    });
    expect(await querySql(db.url, `SELECT to_regclass('notes') AS notes`)).toEqual([{ notes: null }]);
    expect((await history()).map((r) => `${r.step} ${r.status}`).sort()).toEqual([
      'create-notes undone',
      'revert revert-1#1 applied',
      'revert revert-2#1 applied',
    ]);
  });

  it('a down that does not parse refuses the whole revert before any down runs, with its line and column', async () => {
    const first: Migration = {
      version: '10',
      name: 'notes-a',
      steps: [{ kind: 'transactional', name: 'a', sql: 'CREATE TABLE notes_a (id int)' }],
      down: 'DROPP TABLE notes_a;',
      source: '10_notes_a.up.sql',
    };
    const second: Migration = {
      version: '11',
      name: 'notes-b',
      steps: [{ kind: 'transactional', name: 'b', sql: 'CREATE TABLE notes_b (id int)' }],
      down: 'DROP TABLE notes_b;',
    };
    await applyMigration(target, first, options());
    await applyMigration(target, second, options());
    const error = (await revertMigrations(target, [first, second], options()).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(RevertRefusedError);
    expect(error.message).toBe(
      'Nothing was reverted: 10_notes_a.up.sql (down):1:1: syntax error at or near "DROPP": fix the down of migration 10',
    );
    expect(
      await querySql(db.url, `SELECT to_regclass('notes_a') IS NOT NULL AS a, to_regclass('notes_b') IS NOT NULL AS b`),
    ).toEqual([{ a: true, b: true }]);
  });

  it('refuses a down that is only a comment (irreversible) or needs rights beyond the database, naming each', async () => {
    const irreversible: Migration = {
      version: '13',
      name: 'drop-legacy',
      steps: [{ kind: 'transactional', name: 'a', sql: 'CREATE TABLE notes_c (id int)' }],
      down: '-- irreversible: the data is gone',
    };
    const privileged: Migration = {
      version: '14',
      name: 'reader-role',
      steps: [{ kind: 'transactional', name: 'b', sql: 'CREATE TABLE notes_d (id int)' }],
      down: 'DROP TABLE notes_d; DROP ROLE reporting;',
    };
    await applyMigration(target, irreversible, options());
    await applyMigration(target, privileged, options());
    const error = (await revertMigrations(target, [irreversible, privileged], options()).catch(
      (e: Error) => e,
    )) as RevertRefusedError;
    expect(error).toBeInstanceOf(RevertRefusedError);
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toMatch(/^the down of migration 14 needs rights beyond the database \(.*role/);
    expect(error.problems[1]).toBe(
      'the down of migration 13 (drop-legacy (down)) has no statements: its authors marked it irreversible. Change forward with a new request, or restore from a backup',
    );
    expect(
      await querySql(db.url, `SELECT to_regclass('notes_c') IS NOT NULL AS c, to_regclass('notes_d') IS NOT NULL AS d`),
    ).toEqual([{ c: true, d: true }]);
  });
});
