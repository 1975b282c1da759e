import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { readEnvironment } from '../config/environment';
import { isExecutable } from './executables';

/** The Temporal CLI release this project is tested with (its dev server is our Temporal). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';

const run = promisify(execFile);

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
}

export interface TemporalCliLocation {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' | 'sdk download';
}

type Progress = (message: string) => void;

async function versionOf(path: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 15_000 });
    return /temporal version (\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

function onPath(name: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  return pathVariable
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

export function temporalCacheDir(cacheDir = readEnvironment().cacheDir): string {
  return join(cacheDir, 'temporal-cli', `v${TEMPORAL_CLI_VERSION}`);
}

async function buildWithGo(go: string, targetDir: string, progress: Progress): Promise<string> {
  mkdirSync(targetDir, { recursive: true });
  progress(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${targetDir} ` +
      '(first time only; this takes several minutes on a small machine)...',
  );
  const started = Date.now();
  await new Promise<void>((resolveBuild, rejectBuild) => {
    // A plain `go install` stamps 0.0.0-DEV; stamp the real version so the PATH and cache checks can trust it.
    const ldflags = `-ldflags=-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
    const child = spawn(go, ['install', ldflags, `${GO_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: targetDir, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const ticker = setInterval(
      () => progress(`  still building (${Math.round((Date.now() - started) / 1000)} s)...`),
      30_000,
    );
    child.once('error', rejectBuild);
    child.once('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolveBuild();
      else
        rejectBuild(new Error(`go install exited with ${code}:\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
  progress(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s.`);
  return join(targetDir, 'temporal');
}

function findDownloaded(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const nested = findDownloaded(path);
      if (nested) return nested;
    } else if (entry.name.startsWith('temporal') && isExecutable(path)) {
      return path;
    }
  }
  return undefined;
}

/** The SDK's own download (needs internet): it fetches the CLI into `dir` as a side effect of starting it. */
async function downloadWithSdk(dir: string, progress: Progress): Promise<string> {
  progress(`Downloading the Temporal CLI v${TEMPORAL_CLI_VERSION} through the Temporal SDK into ${dir}...`);
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir: dir, version: `v${TEMPORAL_CLI_VERSION}` } },
  });
  await env.teardown();
  const found = findDownloaded(dir);
  if (!found) throw new Error(`the SDK reported success but left no executable in ${dir}`);
  return found;
}

/**
 * Finds the Temporal CLI, or provides it, in this order: TEMPORAL_CLI_PATH; `temporal` on PATH at
 * the pinned version; the per-user cache; a build into that cache with `go install`; the SDK's
 * download. Fails with a message that says what to install.
 */
export async function locateTemporalCli({
  env = process.env,
  progress = (m: string) => process.stderr.write(`${m}\n`),
}: {
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
} = {}): Promise<TemporalCliLocation> {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new TemporalCliNotFoundError(
        `TEMPORAL_CLI_PATH=${explicit} is not an executable file. Point it at the temporal CLI v${TEMPORAL_CLI_VERSION} binary, or unset it to let schemawright find or build one.`,
      );
    }
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }

  const fromPath = onPath('temporal', env.PATH);
  if (fromPath && (await versionOf(fromPath)) === TEMPORAL_CLI_VERSION) return { path: fromPath, source: 'PATH' };

  const cacheDir = temporalCacheDir(readEnvironment(env).cacheDir);
  const cached = join(cacheDir, 'temporal');
  if (isExecutable(cached) && (await versionOf(cached)) === TEMPORAL_CLI_VERSION)
    return { path: cached, source: 'cache' };

  const failures: string[] = [];
  const go = onPath('go', env.PATH);
  if (go) {
    try {
      return { path: await buildWithGo(go, cacheDir, progress), source: 'go install' };
    } catch (error) {
      failures.push(`go install failed: ${(error as Error).message}`);
    }
  } else {
    failures.push('Go is not on PATH, so the CLI could not be built.');
  }

  if (env.SCHEMAWRIGHT_NO_DOWNLOAD === '1') {
    failures.push('the SDK download is turned off (SCHEMAWRIGHT_NO_DOWNLOAD=1).');
  } else {
    try {
      return { path: await downloadWithSdk(join(cacheDir, 'download'), progress), source: 'sdk download' };
    } catch (error) {
      failures.push(`the SDK download failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  throw new TemporalCliNotFoundError(
    [
      `The Temporal CLI v${TEMPORAL_CLI_VERSION} could not be found or provided.`,
      ...failures.map((f) => `  - ${f}`),
      'Fix it in one of these ways:',
      `  - install Go >= 1.25 (https://go.dev/dl/) and run the command again: schemawright builds the CLI into ${cacheDir};`,
      `  - or install the temporal CLI v${TEMPORAL_CLI_VERSION} yourself and set TEMPORAL_CLI_PATH=/path/to/temporal;`,
      '  - or point TEMPORAL_ADDRESS at a Temporal server you already run (npm start only).',
    ].join('\n'),
  );
}

if (require.main === module) {
  locateTemporalCli().then(
    (found) => console.log(`${found.path} (${found.source})`),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
