import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** A migration as written: its up SQL, and its down where there is one. */
export interface MigrationFile {
  path: string;
  up: string;
  down?: string;
}

/**
 * Reads migrations from a file or a directory in the common layouts, pairing up and down by name:
 * golang-migrate (`001_x.up.sql` + `001_x.down.sql`), diesel (`<dir>/up.sql` + `<dir>/down.sql`),
 * dbmate (one file with `-- migrate:up` / `-- migrate:down`), Flyway (`V1__x.sql` + `U1__x.sql`,
 * repeatable `R__x.sql` last). Ordered by version numbers, compared numerically part by part.
 */
export function readMigrationFiles(path: string): MigrationFile[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist: give a migration file or a directory of migrations.`);
  if (statSync(path).isFile()) return [fromFile(path, path)];
  const sqlFiles = walk(path).filter((f) => f.endsWith('.sql'));
  const byPath = new Map(sqlFiles.map((f) => [f, f]));
  const migrations: { key: string; file: MigrationFile }[] = [];
  for (const file of sqlFiles) {
    const name = basename(file);
    const rel = relative(path, file);
    if (/(^|\.)down\.sql$/.test(name) || /^U\d/.test(name)) continue;
    const down =
      name === 'up.sql'
        ? file.replace(/up\.sql$/, 'down.sql')
        : name.endsWith('.up.sql')
          ? file.replace(/\.up\.sql$/, '.down.sql')
          : /^V\d/.test(name)
            ? join(file, '..', `U${name.slice(1)}`)
            : undefined;
    const migration = fromFile(file, rel);
    if (down && byPath.has(down)) migration.down = readFileSync(down, 'utf8');
    migrations.push({ key: name === 'up.sql' ? rel : name, file: migration });
  }
  return migrations.sort((a, b) => compareVersions(a.key, b.key)).map((m) => m.file);
}

function fromFile(file: string, displayPath: string): MigrationFile {
  const text = readFileSync(file, 'utf8');
  const marker = /^--\s*migrate:down\b.*$/m.exec(text);
  if (!/^--\s*migrate:up\b/m.test(text) || !marker) return { path: displayPath, up: text };
  // dbmate: keep the down's line numbers as they are in the file.
  const before = text.slice(0, marker.index);
  return { path: displayPath, up: before, down: '\n'.repeat(before.split('\n').length - 1) + text.slice(marker.index) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** Flyway's repeatable migrations run after all versioned ones; versions compare as numbers. */
function compareVersions(a: string, b: string): number {
  const repeatable = (k: string) => (/^R__/.test(k) ? 1 : 0);
  const parts = (k: string) => (/^[VU]?(\d+(?:[._]\d+)*)/.exec(k)?.[1] ?? '').split(/[._]/).filter(Boolean).map(Number);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0 && !(repeatable(a) || repeatable(b))) return d;
  }
  return repeatable(a) - repeatable(b) || a.localeCompare(b);
}

/** A migration's name from its path: the diesel folder, or the file name without `.up.sql`/`.sql`. */
export function migrationName(path: string): string {
  return basename(path) === 'up.sql' ? basename(dirname(path)) : basename(path).replace(/(\.up)?\.sql$/, '');
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
