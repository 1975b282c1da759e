import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, importMigrations } from '../activities/apply';
import { querySql } from './support/requests';
import { createTestDatabase, type TestDatabase } from './support/stack';
import { readMigrationFiles, UnreadableMigrationsError } from '../artifacts/migration-files';

function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemawright-layouts-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A down that, run as part of the up, would drop what the up created: applying must leave the table. */
const DESTRUCTIVE_DOWN = 'DROP TABLE users;';
const CREATE = 'CREATE TABLE users (id bigint PRIMARY KEY);';
const INDEX = 'CREATE INDEX CONCURRENTLY users_id_idx ON users (id);';

const options = { requestId: 'layouts', decidedBy: ['ann'] };

/** Each layout: its files, and the tool and step kinds it must read (the CONCURRENTLY index forces a step of its own). */
const layouts: { tool: string; files: Record<string, string>; kinds: string[]; down: boolean }[] = [
  {
    tool: 'goose',
    files: {
      '00001_users.sql': `-- +goose Up\n-- +goose StatementBegin\n${CREATE}\n-- +goose StatementEnd\n\n-- +goose Down\n${DESTRUCTIVE_DOWN}\n`,
    },
    kinds: ['transactional'],
    down: true,
  },
  {
    tool: 'goose',
    files: {
      '00001_users.sql': `-- +goose NO TRANSACTION\n-- +goose Up\n${CREATE}\n${INDEX}\n-- +goose Down\n${DESTRUCTIVE_DOWN}\n`,
    },
    kinds: ['non-transactional', 'non-transactional'],
    down: true,
  },
  {
    tool: 'sql-migrate',
    files: {
      '1_users.sql': `-- +migrate Up notransaction\n${CREATE}\n${INDEX}\n\n-- +migrate Down\n${DESTRUCTIVE_DOWN}\n`,
    },
    kinds: ['non-transactional', 'non-transactional'],
    down: true,
  },
  {
    tool: 'dbmate',
    files: {
      '20240101_users.sql': `-- migrate:up transaction:false\n${CREATE}\n\n-- migrate:down\n${DESTRUCTIVE_DOWN}\n`,
    },
    kinds: ['non-transactional'],
    down: true,
  },
  {
    tool: 'golang-migrate',
    files: { '1_users.up.sql': `${CREATE}\n${INDEX}`, '1_users.down.sql': DESTRUCTIVE_DOWN },
    kinds: ['transactional', 'non-transactional'],
    down: true,
  },
  {
    tool: 'flyway',
    files: {
      'V1__users.sql': CREATE,
      'U1__users.sql': DESTRUCTIVE_DOWN,
      'V2__index.sql': `ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email_idx ON users (email);`,
      'V2__index.sql.conf': '# built with the table empty\nexecuteInTransaction=false\n',
    },
    kinds: ['transactional', 'non-transactional', 'non-transactional'],
    down: true,
  },
  {
    tool: 'diesel',
    files: {
      '2024-01-01-000000_users/up.sql': `${CREATE}\n${INDEX}`,
      '2024-01-01-000000_users/down.sql': DESTRUCTIVE_DOWN,
      '2024-01-01-000000_users/metadata.toml': 'run_in_transaction = false\n',
    },
    kinds: ['non-transactional', 'non-transactional'],
    down: true,
  },
  {
    tool: 'prisma',
    files: { 'migration_lock.toml': 'provider = "postgresql"\n', '20240101000000_users/migration.sql': CREATE },
    kinds: ['transactional'],
    down: false,
  },
];

describe('migration layouts and markers', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('sw_layouts');
  });
  afterEach(() => db.drop());

  it.each(layouts.map((layout, i) => [`${layout.tool} #${i + 1}`, layout] as const))(
    'reads %s with its down apart from its up: applied, the table is still there',
    async (_label, layout) => {
      const dir = directory(layout.files);
      const files = readMigrationFiles(dir);
      expect(files.every((f) => f.tool === layout.tool)).toBe(true);
      const migrations = await importMigrations(dir);
      expect(migrations.flatMap((m) => m.steps.map((s) => s.kind))).toEqual(layout.kinds);
      expect(migrations[0].steps.map((s) => s.sql).join('\n')).not.toContain('DROP TABLE');
      expect(migrations[0].down?.trim().endsWith(DESTRUCTIVE_DOWN) ?? false).toBe(layout.down);
      await applyMigrations({ name: 'layouts', connectionString: db.url }, migrations, options);
      expect(await querySql(db.url, `SELECT to_regclass('users') IS NOT NULL AS exists`)).toEqual([{ exists: true }]);
    },
  );

  it("keeps a marked file's down at its own lines, so findings in it point into the file", () => {
    const dir = directory({ '00001_users.sql': `-- +goose Up\n${CREATE}\n\n-- +goose Down\n${DESTRUCTIVE_DOWN}\n` });
    const [file] = readMigrationFiles(dir);
    expect(file.down?.split('\n')[4]).toBe(DESTRUCTIVE_DOWN);
    expect(file.up).toBe(`-- +goose Up\n${CREATE}\n\n`);
  });

  it('refuses what it cannot read for sure, naming every file and why', () => {
    const dir = directory({
      '001_a.sql': `-- +goose Up\n${CREATE}\n-- +goose Down\n${DESTRUCTIVE_DOWN}\n-- +goose Down\nSELECT 1;\n`,
      '002_b.sql': `-- +goose Up\n-- +goose ENVSUB ON\nSELECT '\${X}';\n`,
      '003_c.sql': `-- migrate:down\n${DESTRUCTIVE_DOWN}\n-- migrate:up\n${CREATE}\n`,
      '004_d.sql': `-- +goose Up\n-- migrate:down\nSELECT 1;\n`,
      '005_e.sql': `--liquibase formatted sql\n--changeset ann:1\n${CREATE}\n--rollback ${DESTRUCTIVE_DOWN}\n`,
      '006_f.down.sql': DESTRUCTIVE_DOWN,
      '007_g.go': 'package migrations',
      'schema.sql': CREATE,
      'U8__h.sql': DESTRUCTIVE_DOWN,
    });
    let error: unknown;
    try {
      readMigrationFiles(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnreadableMigrationsError);
    const problems = Object.fromEntries((error as UnreadableMigrationsError).problems.map((p) => [p.file, p.problem]));
    expect(problems).toEqual({
      '001_a.sql': 'it has 1 up and 2 down markers of goose: write one up section, then at most one down section',
      '002_b.sql':
        'line 2 has the goose annotation "ENVSUB ON", which schemawright does not apply (it reads Up, Down, StatementBegin, StatementEnd and NO TRANSACTION)',
      '003_c.sql': 'its down marker (line 1) comes before its up marker (line 3)',
      '004_d.sql': 'it mixes the markers of goose and dbmate: one file is read by one tool',
      '005_e.sql':
        'line 1 is a marker of Liquibase formatted SQL (changesets with rollbacks), which schemawright does not read',
      '006_f.down.sql': 'a golang-migrate .down.sql without its .up.sql',
      '007_g.go': 'a migration written in code, which schemawright cannot run',
      'schema.sql': 'a .sql file without a version in its name, so its place in the order is unknown',
      'U8__h.sql': 'a Flyway undo without a V8__ migration beside it',
    });
    expect((error as Error).message).toContain('cannot be read as migrations, so nothing was read');
  });

  it('refuses two tools in one directory, and a marked file given alone', () => {
    const mixed = directory({
      '1_users.up.sql': CREATE,
      '2_more.sql': `-- +goose Up\nALTER TABLE users ADD COLUMN email text;\n-- +goose Down\nALTER TABLE users DROP COLUMN email;\n`,
    });
    expect(() => readMigrationFiles(mixed)).toThrow(
      'migrations of golang-migrate and goose in one directory: each tool runs only its own, so their order is unknown',
    );
    const single = directory({ 'x.sql': `-- +migrate Up\n${CREATE}\n-- +migrate Up\n${CREATE}\n` });
    expect(() => readMigrationFiles(join(single, 'x.sql'))).toThrow(UnreadableMigrationsError);
    const flyway = directory({ 'V1__x.sql': CREATE, 'V1__x.sql.conf': 'shouldExecute=false\n' });
    expect(() => readMigrationFiles(flyway)).toThrow(
      'V1__x.sql: "shouldExecute=false" is a setting schemawright does not apply (it reads executeInTransaction)',
    );
  });
});
