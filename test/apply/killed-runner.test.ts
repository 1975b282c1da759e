import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Migration } from '../../artifacts/migration';
import { startChild } from '../../stack/child-process';
import { querySql, runSql } from '../support/requests';
import { killAtEachStep } from './kill-at-each-step';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/stack';

/**
 * The runner as its own process, SIGKILLed (no cleanup) while each step of a migration is under
 * way; a new runner resumes each time, and in the end every step has been applied exactly once.
 * A step is held "under way" by another session's lock on its table, found in pg_stat_activity.
 */
const WORK = mkdtempSync(join(tmpdir(), 'schemawright-apply-'));
const CHILD = join(__dirname, 'apply-child.ts');

const SETUP = `
  CREATE TABLE effects (step text NOT NULL);
  CREATE TABLE ka (id int PRIMARY KEY);
  CREATE TABLE kb (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
  CREATE TABLE kc (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false);
  CREATE TABLE kd (id int PRIMARY KEY);
  INSERT INTO kb (id) SELECT generate_series(1, 50);
  INSERT INTO kc (id) SELECT generate_series(1, 50);`;

const MIGRATION: Migration = {
  version: '2026.1',
  name: 'killed',
  steps: [
    {
      kind: 'transactional',
      name: 'ka-column',
      sql: `ALTER TABLE ka ADD COLUMN note text;\nINSERT INTO effects VALUES ('ka-column');`,
    },
    { kind: 'non-transactional', name: 'kb-index', sql: 'CREATE INDEX CONCURRENTLY kb_n_idx ON kb (n)' },
    {
      kind: 'backfill',
      name: 'kc-count',
      batchSize: 20,
      sql: 'UPDATE kc SET n = n + 1, done = true WHERE id IN (SELECT id FROM kc WHERE NOT done ORDER BY id LIMIT $1)',
    },
    {
      kind: 'transactional',
      name: 'kd-column',
      sql: `ALTER TABLE kd ADD COLUMN note text;\nINSERT INTO effects VALUES ('kd-column');`,
    },
  ],
};

/** What holds each step: an exclusive lock, or for the index an open write (the build then waits with its index INVALID). */
const HOLD: string[] = [
  'LOCK TABLE ka IN ACCESS EXCLUSIVE MODE',
  'INSERT INTO kb (id) VALUES (1000)',
  'LOCK TABLE kc IN ACCESS EXCLUSIVE MODE',
  'LOCK TABLE kd IN ACCESS EXCLUSIVE MODE',
];

describe('a runner killed at each step', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sw_apply_kill');
    await runSql(db.url, SETUP);
  });
  afterAll(() => db.drop());

  const migrationFile = join(WORK, 'migration.json');
  writeFileSync(migrationFile, JSON.stringify(MIGRATION));
  const runner = () =>
    startChild(
      'apply',
      process.execPath,
      ['--import', 'tsx', CHILD, db.url, migrationFile],
      join(WORK, `${uniqueName('apply')}.log`),
      { cwd: join(__dirname, '../..') },
    );
  const applied = async () =>
    Number(
      (
        await querySql<{ n: string }>(
          db.url,
          `SELECT count(*) AS n FROM schemawright.migration_history WHERE status = 'applied'`,
        )
      )[0].n,
    );

  it('resumes and applies each step exactly once', async () => {
    await killAtEachStep(db.url, HOLD, runner, applied);
    const last = runner();
    expect(await last.exited).toBe(0);
    expect(last.logTail(1)).toContain('"applied":1,"alreadyApplied":3');

    const rows = await querySql<{ step: string; status: string }>(
      db.url,
      'SELECT step, status FROM schemawright.migration_history ORDER BY started_at',
    );
    expect(rows).toEqual(MIGRATION.steps.map((s) => ({ step: s.name, status: 'applied' })));
    expect(await querySql(db.url, 'SELECT step, count(*)::int AS n FROM effects GROUP BY step ORDER BY step')).toEqual([
      { step: 'ka-column', n: 1 },
      { step: 'kd-column', n: 1 },
    ]);
    expect(await querySql(db.url, 'SELECT n, count(*)::int AS rows FROM kc GROUP BY n')).toEqual([{ n: 1, rows: 50 }]);
    expect(
      await querySql(db.url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('kb_n_idx')`),
    ).toEqual([{ valid: true }]);
  });
});
