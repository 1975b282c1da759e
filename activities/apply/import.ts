import type { Migration } from '../migration';
import { migrationName, migrationVersion, readMigrationFiles } from '../review/migration-files';
import { parseStatements } from '../review/parse';
import { DEFAULT_PG_VERSION, type PgVersion } from '../review/pg-version';
import type { MigrationFile } from '../review/review';
import { stepsAsWritten } from '../review/steps';

/**
 * Migration files as the runner applies them: each file one migration, cut into steps as written
 * (a CONCURRENTLY statement becomes a non-transactional step of its own), its down kept whole.
 */
export async function migrationsFromFiles(files: MigrationFile[], pgVersion: PgVersion = DEFAULT_PG_VERSION): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of files) {
    const name = migrationName(file.path);
    const statements = await parseStatements(file.up, file.path);
    migrations.push({
      version: migrationVersion(file.path),
      name,
      steps: stepsAsWritten(name, statements, pgVersion),
      ...(file.down !== undefined ? { down: file.down } : {}),
      ...(/^R__/.test(name) ? { repeatable: true } : {}),
      source: file.path,
    });
  }
  const seen = new Map<string, string>();
  for (const migration of migrations) {
    const other = seen.get(migration.version);
    if (other) throw new Error(`${other} and ${migration.source} have the same version ${migration.version}: give each migration its own version.`);
    seen.set(migration.version, migration.source as string);
  }
  return migrations;
}

/** A migration directory (golang-migrate, dbmate, Flyway, diesel) or file, in apply order. */
export async function importMigrations(path: string, pgVersion: PgVersion = DEFAULT_PG_VERSION): Promise<Migration[]> {
  return migrationsFromFiles(readMigrationFiles(path), pgVersion);
}
