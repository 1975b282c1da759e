import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, compareWithHistory, importMigrations, MigrationChecksumError } from './';
import { querySql } from '../../test/support/requests';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';

function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemawright-import-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const options = { requestId: 'import', decidedBy: ['ann'] };

describe('importing migration directories', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('sw_apply_import');
  });
  afterEach(() => db.drop());
  const target = () => ({ name: 'imported', connectionString: db.url });

  it('reads golang-migrate pairs with their downs, in version order', async () => {
    const dir = directory({
      '002_add_email.up.sql': 'ALTER TABLE users ADD COLUMN email text;',
      '002_add_email.down.sql': 'ALTER TABLE users DROP COLUMN email;',
      '001_users.up.sql':
        'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);',
      '001_users.down.sql': 'DROP TABLE users;',
    });
    const migrations = await importMigrations(dir);
    expect(migrations.map((m) => [m.version, m.name, m.down, m.steps.map((s) => s.kind)])).toEqual([
      ['001', '001_users', 'DROP TABLE users;', ['transactional', 'non-transactional']],
      ['002', '002_add_email', 'ALTER TABLE users DROP COLUMN email;', ['transactional']],
    ]);
    await applyMigrations(target(), migrations, options);
    expect(
      await querySql(
        db.url,
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`,
      ),
    ).toEqual([{ column_name: 'id' }, { column_name: 'email' }]);
  });

  it("leaves out a file's own BEGIN and COMMIT: the runner gives each step its transaction", async () => {
    const dir = directory({
      '001_users.up.sql':
        'BEGIN;\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nBEGIN;\nALTER TABLE users ADD COLUMN name text;\nCOMMIT;',
    });
    const [migration] = await importMigrations(dir);
    expect(migration.steps.map((s) => [s.kind, s.sql])).toEqual([
      ['transactional', 'CREATE TABLE users (id bigint PRIMARY KEY, email text);'],
      ['non-transactional', 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email)'],
      ['transactional', 'ALTER TABLE users ADD COLUMN name text;'],
    ]);
    expect(await applyMigrations(target(), [migration], options)).toEqual([expect.objectContaining({ applied: 3 })]);
  });

  it('reads dbmate files, up and down markers in one file', async () => {
    const dir = directory({
      '20240101120000_create_users.sql':
        '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n',
    });
    const [migration] = await importMigrations(dir);
    expect(migration.version).toBe('20240101120000');
    expect(migration.steps).toHaveLength(1);
    expect(migration.down?.trim()).toBe('-- migrate:down\nDROP TABLE users;');
  });

  it('orders Flyway versions numerically, runs repeatables last and again when they change, and reports an edited applied file', async () => {
    const files: Record<string, string> = {
      'V1__init.sql': 'CREATE TABLE t (id int PRIMARY KEY);',
      'V1.10__ten.sql': `INSERT INTO t VALUES (110);`,
      'V1.2__two.sql': `INSERT INTO t VALUES (12);`,
      'V1_1__one.sql': `INSERT INTO t VALUES (11);`,
      'R__view.sql': 'CREATE OR REPLACE VIEW v AS SELECT id FROM t;',
    };
    const dir = directory(files);
    const migrations = await importMigrations(dir);
    expect(migrations.map((m) => m.version)).toEqual(['1', '1.1', '1.2', '1.10', 'R__view']);
    expect(migrations[4].repeatable).toBe(true);
    await applyMigrations(target(), migrations, options);
    expect(await querySql(db.url, 'SELECT id FROM v ORDER BY id')).toEqual([{ id: 11 }, { id: 12 }, { id: 110 }]);
    expect(await compareWithHistory(db.url, migrations)).toEqual({
      applied: ['1', '1.1', '1.2', '1.10', 'R__view'],
      pending: [],
      edited: [],
    });

    // The repeatable changed: it is pending and runs again. V1.2 was edited after it was applied: reported, refused.
    writeFileSync(join(dir, 'R__view.sql'), 'CREATE OR REPLACE VIEW v AS SELECT id, id * 2 AS twice FROM t;');
    writeFileSync(join(dir, 'V1.2__two.sql'), 'INSERT INTO t VALUES (13);');
    const edited = await importMigrations(dir);
    const comparison = await compareWithHistory(db.url, edited);
    expect(comparison.pending).toEqual(['R__view']);
    expect(comparison.edited).toEqual([
      {
        file: 'V1.2__two.sql',
        version: '1.2',
        step: 'V1.2__two#1',
        recorded: expect.stringMatching(/^sha256-v1:/),
        current: expect.stringMatching(/^sha256-v1:/),
      },
    ]);
    expect(comparison.edited[0].recorded).not.toBe(comparison.edited[0].current);
    const error = await applyMigrations(target(), edited, options).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as Error).message).toContain(
      'Step V1.2__two#1 of migration 1.2 (V1.2__two.sql) was applied with checksum',
    );
    expect(await querySql(db.url, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 11 }, { id: 12 }, { id: 110 }]);

    await applyMigrations(
      target(),
      edited.filter((m) => m.version !== '1.2'),
      options,
    );
    expect(await querySql(db.url, 'SELECT twice FROM v ORDER BY id LIMIT 1')).toEqual([{ twice: 22 }]);
  });
});
