import { applyMigrations, importMigrations, MigrationFailedError, revertMigrations } from '../../activities/apply';
import { querySql, runSql } from '../support/requests';
import { createTestDatabase, type TestDatabase } from '../support/stack';
import { LEMMY_DIR, MARQUEZ_DIR } from '../support/fixtures';

const options = { requestId: 'history-import', decidedBy: ['ann'] };

describe('real migration histories through the runner', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('sw_apply_history');
  });
  afterEach(() => db.drop());

  const count = async (sql: string) => Number((await querySql<{ n: string }>(db.url, sql))[0].n);

  it('applies all 84 Marquez migrations in Flyway order, V47 as a non-transactional step, and a rerun applies nothing', async () => {
    const migrations = await importMigrations(MARQUEZ_DIR);
    expect(migrations).toHaveLength(84);
    expect(migrations.slice(0, 3).map((m) => m.version)).toEqual(['1', '2', '2.1']);
    const v47 = migrations.find((m) => m.version === '47')!;
    expect(v47.steps.map((s) => s.kind)).toEqual(['non-transactional']);
    const target = { name: 'marquez', connectionString: db.url };

    const results = await applyMigrations(target, migrations, options);
    const steps = migrations.reduce((n, m) => n + m.steps.length, 0);
    expect(results.reduce((n, r) => n + r.applied, 0)).toBe(steps);
    expect(await count(`SELECT count(*) AS n FROM schemawright.migration_history WHERE status = 'applied'`)).toBe(
      steps,
    );
    // The schema the data README describes: 30 tables, 84 indexes, 46 foreign keys.
    expect(await count(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`)).toBe(30);
    expect(await count(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'`)).toBe(84);
    expect(
      await count(
        `SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'`,
      ),
    ).toBe(46);
    expect(
      await querySql(
        db.url,
        `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('lineage_events_event_time')`,
      ),
    ).toEqual([{ valid: true }]);

    const again = await applyMigrations(target, migrations, options);
    expect(again.reduce((n, r) => n + r.applied, 0)).toBe(0);
  });

  it('applies all 342 Lemmy migrations, then reverts newest first until apub_columns, whose down fails with the database error', async () => {
    // Lemmy's migration 2025-08-01-000017_forbid_diesel_cli puts a trigger on diesel's own table.
    await runSql(
      db.url,
      'CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    );
    const migrations = await importMigrations(LEMMY_DIR);
    expect(migrations).toHaveLength(342);
    const target = { name: 'lemmy', connectionString: db.url };
    const results = await applyMigrations(target, migrations, options);
    expect(results).toHaveLength(342);
    // The same tables as each up.sql run through plain pg: 57 of Lemmy's in public, and utils.deps_saved_ddl.
    expect(
      await count(
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'`,
      ),
    ).toBe(57);
    expect(await count(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'utils'`)).toBe(1);

    const reverted: string[] = [];
    const error = (await revertMigrations(target, migrations, {
      ...options,
      onReverted: (v) => reverted.push(v),
    }).catch((e: Error) => e)) as MigrationFailedError;
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error.version).toBe('2021-02-02-153240');
    expect(error.databaseError).toMatchObject({
      code: '2BP01',
      message: 'cannot drop column inbox_url of table user_ because other objects depend on it',
    });
    expect(error.message).toContain('Step revert history-import#1 of migration 2021-02-02-153240 failed');
    expect(error.message).toContain('2021-02-02-153240_apub_columns');
    // Every migration newer than apub_columns was reverted, newest first.
    const newer = migrations
      .filter((m) => m.version > '2021-02-02-153240' && m.steps.length > 0)
      .map((m) => m.version)
      .reverse();
    expect(reverted).toEqual(newer);
    expect(error.undone).toEqual(newer);
    expect(
      await count(
        `SELECT count(*) AS n FROM schemawright.migration_history WHERE version = '2021-02-02-153240' AND status = 'applied'`,
      ),
    ).toBeGreaterThan(0);
  });
});
