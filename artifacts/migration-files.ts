import { basename, dirname } from 'node:path';

export { readMigrationFiles, UnreadableMigrationsError } from './migration-layouts';

/** The tool whose layout a migration was read in; `plain` is a versioned file of SQL without markers. */
export type MigrationTool =
  | 'goose'
  | 'sql-migrate'
  | 'dbmate'
  | 'golang-migrate'
  | 'flyway'
  | 'diesel'
  | 'prisma'
  | 'plain';

/** A migration as written: its up SQL, and its down where there is one. */
export interface MigrationFile {
  path: string;
  up: string;
  down?: string;
  /** Read from a directory or marked file: the tool that would run it, so review judges it as that tool does. */
  tool?: MigrationTool;
  /**
   * The tool runs the up outside a transaction (goose NO TRANSACTION, sql-migrate notransaction, dbmate
   * transaction:false, Flyway executeInTransaction=false, diesel run_in_transaction = false): each
   * statement is a step of its own.
   */
  upOutsideTransaction?: boolean;
}

/** A migration's name from its path: the diesel or Prisma folder, or the file name without `.up.sql`/`.sql`. */
export function migrationName(path: string): string {
  return ['up.sql', 'migration.sql'].includes(basename(path))
    ? basename(dirname(path))
    : basename(path).replace(/(\.up)?\.sql$/, '');
}

/**
 * The version a migration orders and is recorded by: Flyway `V1.2__x.sql` → `1.2`, a repeatable
 * `R__x.sql` → `R__x`, otherwise the name up to its first `_` (golang-migrate `001`, dbmate and
 * diesel timestamps), or the whole name when it has none.
 */
export function migrationVersion(path: string): string {
  const name = migrationName(path);
  const flyway = /^V(\d+(?:[._]\d+)*)__/.exec(name);
  if (flyway) return flyway[1].replace(/_/g, '.');
  if (/^R__/.test(name)) return name;
  return name.split('_')[0];
}

/** Where findings about a migration's down SQL are placed: its own file (`001_x.down.sql`), or `<file> (down)` when one file holds both. */
export function downPathOf(path: string): string {
  const downPath = path.replace(/up(\.sql)$/, 'down$1');
  return downPath === path ? `${path} (down)` : downPath;
}

/**
 * What makes a set of migration files unusable before anything runs, each naming its files: two
 * migrations with one version (which would the history record?), a down given as an up, and a name
 * with no version to order it by.
 */
export function layoutProblems(files: MigrationFile[]): string[] {
  const problems: string[] = [];
  const byVersion = new Map<string, string[]>();
  for (const file of files) {
    const name = basename(file.path);
    if (/(^|\.)down\.sql$/.test(name) || /^U\d/.test(name)) {
      problems.push(`${file.path} is a down migration given as an up: pair it with its up (the same name with up)`);
      continue;
    }
    const version = migrationVersion(file.path);
    if (files.length > 1 && !/^(\d|R__)/.test(version))
      problems.push(
        `${file.path} has no version in its name, so its place in the order cannot be told: name it like 001_x.up.sql (golang-migrate), 20240101120000_x.sql (dbmate), V1__x.sql (Flyway) or 2024-01-01-120000_x/up.sql (diesel)`,
      );
    byVersion.set(version, [...(byVersion.get(version) ?? []), file.path]);
  }
  for (const [version, paths] of byVersion)
    if (paths.length > 1)
      problems.push(`${paths.join(' and ')} have the same version ${version}: give each migration its own version`);
  return problems;
}
