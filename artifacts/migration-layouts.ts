import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { MigrationFile, MigrationTool } from './migration-files';
import { MarkerError, splitMarkedSections } from './migration-markers';

/**
 * A directory or file whose layout or markers schemawright cannot read for sure. Reading it some
 * way anyway could run a down as part of an up, or migrations out of order, so nothing is read.
 */
export class UnreadableMigrationsError extends Error {
  constructor(
    readonly problems: { file: string; problem: string }[],
    source: string,
  ) {
    super(
      `${source} cannot be read as migrations, so nothing was read:\n${problems.map((p) => `  ${p.file}: ${p.problem}`).join('\n')}\n` +
        'schemawright reads goose, sql-migrate and dbmate markers, golang-migrate pairs (N_x.up.sql, N_x.down.sql), Flyway (V1__x.sql, U1__x.sql, .sql.conf), diesel (<dir>/up.sql, down.sql, metadata.toml) and Prisma (<dir>/migration.sql): rename or split the files into one of these layouts.',
    );
  }
}

/** What a file in a migrations directory is, by its name and place. */
type Role =
  | { kind: 'up'; tool: MigrationTool | 'single'; down?: string }
  | { kind: 'down' | 'companion' | 'ignored' }
  | { kind: 'unreadable'; problem: string };

const FLYWAY_VERSIONED = /^V(\d+(?:[._]\d+)*)__.+\.sql$/;
const FLYWAY_UNDO = /^U(\d+(?:[._]\d+)*)__.+\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;
const GOLANG_MIGRATE = /^(\d+)_.*\.(up|down)\.sql$/;
/** One file per migration, versioned by leading digits: goose, sql-migrate, dbmate, or plain SQL. */
const SINGLE = /^\d[^/]*\.sql$/;
/** Migrations written in code (goose's Go migrations, Flyway's Java ones): skipping one would apply the others out of order. */
const CODE_MIGRATION = /^(\d+_|V\d+(?:[._]\d+)*__).*\.(go|java|kt|js|ts|py|rb)$/;

function roleOf(file: string, all: Set<string>): Role {
  const name = basename(file);
  const dir = dirname(file);
  if (name === 'up.sql') {
    const down = join(dir, 'down.sql');
    return { kind: 'up', tool: 'diesel', ...(all.has(down) ? { down } : {}) };
  }
  if (name === 'down.sql')
    return all.has(join(dir, 'up.sql'))
      ? { kind: 'down' }
      : { kind: 'unreadable', problem: 'a diesel down.sql without an up.sql beside it' };
  if (name === 'migration.sql') return { kind: 'up', tool: 'prisma' };
  if (name === 'metadata.toml' && all.has(join(dir, 'up.sql'))) return { kind: 'companion' };
  if (name === 'migration_lock.toml') return { kind: 'ignored' };
  const flyway = FLYWAY_VERSIONED.exec(name);
  if (flyway) {
    const undo = [...all].find((f) => dirname(f) === dir && FLYWAY_UNDO.exec(basename(f))?.[1] === flyway[1]);
    return { kind: 'up', tool: 'flyway', ...(undo ? { down: undo } : {}) };
  }
  const undo = FLYWAY_UNDO.exec(name);
  if (undo)
    return [...all].some((f) => dirname(f) === dir && FLYWAY_VERSIONED.exec(basename(f))?.[1] === undo[1])
      ? { kind: 'down' }
      : { kind: 'unreadable', problem: `a Flyway undo without a V${undo[1]}__ migration beside it` };
  if (FLYWAY_REPEATABLE.test(name)) return { kind: 'up', tool: 'flyway' };
  if (/\.sql\.conf$/.test(name))
    return all.has(file.replace(/\.conf$/, ''))
      ? { kind: 'companion' }
      : { kind: 'unreadable', problem: 'a Flyway script configuration without its script' };
  const golang = GOLANG_MIGRATE.exec(name);
  if (golang?.[2] === 'up') {
    const down = file.replace(/\.up\.sql$/, '.down.sql');
    return { kind: 'up', tool: 'golang-migrate', ...(all.has(down) ? { down } : {}) };
  }
  if (golang?.[2] === 'down')
    return all.has(file.replace(/\.down\.sql$/, '.up.sql'))
      ? { kind: 'down' }
      : { kind: 'unreadable', problem: 'a golang-migrate .down.sql without its .up.sql' };
  if (SINGLE.test(name)) return { kind: 'up', tool: 'single' };
  if (CODE_MIGRATION.test(name))
    return { kind: 'unreadable', problem: 'a migration written in code, which schemawright cannot run' };
  if (name.endsWith('.sql'))
    return {
      kind: 'unreadable',
      problem: 'a .sql file without a version in its name, so its place in the order is unknown',
    };
  return { kind: 'ignored' };
}

/** Flyway's `executeInTransaction`; any other setting changes what runs, so it is refused. */
function flywayConfig(text: string): { outsideTransaction: boolean } {
  let outsideTransaction = false;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const setting = /^executeInTransaction\s*=\s*(true|false)$/.exec(line);
    if (!setting)
      throw new MarkerError(`"${line}" is a setting schemawright does not apply (it reads executeInTransaction)`);
    outsideTransaction = setting[1] === 'false';
  }
  return { outsideTransaction };
}

/**
 * diesel's metadata.toml. Its one key is `run_in_transaction`, so it is read line by line rather than
 * with a TOML library; any other line is refused rather than read past.
 */
function dieselMetadata(text: string): { outsideTransaction: boolean } {
  let outsideTransaction = false;
  for (const line of text.split('\n').map((l) => l.replace(/#.*$/, '').trim())) {
    if (line === '') continue;
    const setting = /^run_in_transaction\s*=\s*(true|false)$/.exec(line);
    if (!setting)
      throw new MarkerError(`"${line}" is a setting schemawright does not apply (it reads run_in_transaction)`);
    outsideTransaction = setting[1] === 'false';
  }
  return { outsideTransaction };
}

/** A single file: its marker sections (goose, sql-migrate, dbmate), or the whole file as an up. */
function readSingle(file: string, displayPath: string, tool: MigrationTool | 'single'): MigrationFile {
  const text = readFileSync(file, 'utf8');
  const sections = splitMarkedSections(text);
  if (!sections) return { path: displayPath, up: text, tool: tool === 'single' ? 'plain' : tool };
  if (tool !== 'single')
    throw new MarkerError(`it has ${sections.format} markers in a ${tool} layout, which runs the whole file as its up`);
  return {
    path: displayPath,
    up: sections.up,
    ...(sections.down !== undefined ? { down: sections.down } : {}),
    tool: sections.format,
    ...(sections.upOutsideTransaction ? { upOutsideTransaction: true } : {}),
  };
}

/**
 * Reads migrations from a file or a directory in the common layouts, pairing up and down by name:
 * goose, sql-migrate and dbmate (one file, up and down marked), golang-migrate (`001_x.up.sql` +
 * `001_x.down.sql`), Flyway (`V1__x.sql` + `U1__x.sql`, `.sql.conf`, repeatable `R__x.sql` last),
 * diesel (`<dir>/up.sql` + `<dir>/down.sql`, `metadata.toml`) and Prisma (`<dir>/migration.sql`, no
 * down). Ordered by version numbers, compared numerically part by part. A layout or marker it cannot
 * read for sure throws UnreadableMigrationsError naming every such file: it never guesses.
 */
export function readMigrationFiles(path: string): MigrationFile[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist: give a migration file or a directory of migrations.`);
  if (statSync(path).isFile()) {
    try {
      return [readSingle(path, path, 'single')];
    } catch (error) {
      if (error instanceof MarkerError)
        throw new UnreadableMigrationsError([{ file: path, problem: error.message }], path);
      throw error;
    }
  }
  const files = walk(path);
  const all = new Set(files);
  const problems: { file: string; problem: string }[] = [];
  const migrations: { key: string; file: MigrationFile }[] = [];
  for (const file of files) {
    const rel = relative(path, file);
    const role = roleOf(file, all);
    if (role.kind === 'unreadable') problems.push({ file: rel, problem: role.problem });
    if (role.kind !== 'up') continue;
    try {
      const migration = readSingle(file, rel, role.tool);
      if (role.down) migration.down = readFileSync(role.down, 'utf8');
      const config = companionOf(file, all);
      if (config?.outsideTransaction) migration.upOutsideTransaction = true;
      const name = basename(file);
      migrations.push({ key: name === 'up.sql' || name === 'migration.sql' ? rel : name, file: migration });
    } catch (error) {
      if (!(error instanceof MarkerError)) throw error;
      problems.push({ file: rel, problem: error.message });
    }
  }
  const tools = new Map<string, string>();
  for (const { file } of migrations) if (file.tool && !tools.has(file.tool)) tools.set(file.tool, file.path);
  if (tools.size > 1)
    problems.push({
      file: [...tools.values()].join(', '),
      problem: `migrations of ${[...tools.keys()].join(' and ')} in one directory: each tool runs only its own, so their order is unknown`,
    });
  if (problems.length > 0) throw new UnreadableMigrationsError(problems, path);
  return migrations.sort((a, b) => compareVersions(a.key, b.key)).map((m) => m.file);
}

/** The configuration beside a migration that says whether it runs in a transaction (Flyway, diesel). */
function companionOf(file: string, all: Set<string>): { outsideTransaction: boolean } | undefined {
  const flywayConf = `${file}.conf`;
  if (all.has(flywayConf)) return flywayConfig(readFileSync(flywayConf, 'utf8'));
  const metadata = join(dirname(file), 'metadata.toml');
  if (basename(file) === 'up.sql' && all.has(metadata)) return dieselMetadata(readFileSync(metadata, 'utf8'));
  return undefined;
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
