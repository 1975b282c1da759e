import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigration } from '../../activities/apply';
import type { Migration } from '../../artifacts/migration';
import { startChild } from '../../stack/child-process';
import { querySql, runSql } from '../support/requests';
import { killAtEachStep } from './kill-at-each-step';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/stack';

/**
 * A revert as its own process, SIGKILLed (no cleanup) while each step of a down is under way; a new
 * one resumes each time, and in the end every step of the down ran exactly once and the reverted
 * steps are marked undone. A step is held "under way" by another session's lock, as in
 * killed-runner.test.ts.
 */
const WORK = mkdtempSync(join(tmpdir(), 'schemawright-revert-'));
const CHILD = join(__dirname, 'apply-child.ts');

const SETUP = `
  CREATE TABLE effects (step text NOT NULL);
  CREATE TABLE ka (id int PRIMARY KEY);
  CREATE TABLE kb (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
  CREATE TABLE kd (id int PRIMARY KEY);`;

const MIGRATION: Migration = {
  version: '2026.2',
  name: 'reverted',
  steps: [
    { kind: 'transactional', name: 'ka-column', sql: 'ALTER TABLE ka ADD COLUMN note text' },
    { kind: 'non-transactional', name: 'kb-index', sql: 'CREATE INDEX CONCURRENTLY kb_n_idx ON kb (n)' },
    { kind: 'transactional', name: 'kd-column', sql: 'ALTER TABLE kd ADD COLUMN note text' },
  ],
  // Cut by the revert into three steps: kd's (transactional), the index's (alone), ka's (transactional).
  down: `ALTER TABLE kd DROP COLUMN note;
INSERT INTO effects VALUES ('kd-down');
DROP INDEX CONCURRENTLY kb_n_idx;
ALTER TABLE ka DROP COLUMN note;
INSERT INTO effects VALUES ('ka-down');`,
};

/** What holds each step of the down: an exclusive lock, or for the index an open write (DROP INDEX CONCURRENTLY waits for it). */
const HOLD: string[] = [
  'LOCK TABLE kd IN ACCESS EXCLUSIVE MODE',
  'INSERT INTO kb (id) VALUES (1000)',
  'LOCK TABLE ka IN ACCESS EXCLUSIVE MODE',
];

describe('a revert killed at each step of its down', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sw_revert_kill');
    await runSql(db.url, SETUP);
    await applyMigration({ name: 'kill', connectionString: db.url }, MIGRATION, {
      requestId: 'applied-run',
      decidedBy: ['ann'],
    });
  });
  afterAll(() => db.drop());

  const migrationFile = join(WORK, 'migration.json');
  writeFileSync(migrationFile, JSON.stringify(MIGRATION));
  const reverter = () =>
    startChild(
      'revert',
      process.execPath,
      ['--import', 'tsx', CHILD, db.url, migrationFile, 'revert'],
      join(WORK, `${uniqueName('revert')}.log`),
      { cwd: join(__dirname, '../..') },
    );
  const downStepsApplied = async () =>
    Number(
      (
        await querySql<{ n: string }>(
          db.url,
          `SELECT count(*) AS n FROM schemawright.migration_history WHERE status = 'applied' AND step LIKE 'revert %'`,
        )
      )[0].n,
    );

  it('resumes and runs each step of the down exactly once, then marks the reverted steps undone', async () => {
    await killAtEachStep(db.url, HOLD, reverter, downStepsApplied);
    const last = reverter();
    expect(await last.exited).toBe(0);
    expect(last.logTail(1)).toContain('"reverted":["2026.2"]');

    const rows = await querySql<{ step: string; status: string; request_id: string }>(
      db.url,
      'SELECT step, status, request_id FROM schemawright.migration_history ORDER BY started_at',
    );
    expect(rows).toEqual([
      ...MIGRATION.steps.map((s) => ({ step: s.name, status: 'undone', request_id: 'applied-run' })),
      ...[1, 2, 3].map((n) => ({ step: `revert child-run#${n}`, status: 'applied', request_id: 'child-run' })),
    ]);
    expect(await querySql(db.url, 'SELECT step, count(*)::int AS n FROM effects GROUP BY step ORDER BY step')).toEqual([
      { step: 'ka-down', n: 1 },
      { step: 'kd-down', n: 1 },
    ]);
    expect(
      await querySql(
        db.url,
        `SELECT to_regclass('kb_n_idx') AS idx, count(*)::int AS notes FROM information_schema.columns WHERE column_name = 'note' AND table_name IN ('ka', 'kd')`,
      ),
    ).toEqual([{ idx: null, notes: 0 }]);
  });
});
