import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readClientEnvironment, readEnvironment, type Environment } from '../../config/environment';
import { freePort } from '../../stack/ports';
import { TEST_STACK_ENV, type TestStack } from './stack';

/** The ports a user's own stack listens on by default, and PostgreSQL's: no process a test starts may use one. */
export const DEFAULT_PORTS: ReadonlySet<number> = (() => {
  const defaults = readEnvironment({}, '/');
  return new Set([
    defaults.temporal.port,
    defaults.temporal.uiPort,
    defaults.postgres.port,
    defaults.web.port,
    defaults.approvals.mailCapturePort,
    9464, // npm start's worker metrics (stack/embedded-stack.ts)
    5432,
  ]);
})();

/** Settings through which a process could reach a user's stack or accounts rather than the test's own. */
const USER_STACK_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_UI_URL',
  'TEMPORAL_API_KEY',
  'SMTP_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_CHANNEL',
  'SCHEMAWRIGHT_WEB_URL',
  'SCHEMAWRIGHT_WORKER_METRICS_PORT',
  'SCHEMAWRIGHT_SUPERVISED',
];

/**
 * Run once by jest's global setup, before any test: every process the tests start inherits a home of
 * the run's own (not the checkout's .schemawright/, where a running `npm start` leaves its address) and
 * ports nobody listens on, instead of the defaults a developer's own stack uses.
 */
export async function isolateTestRun(root: string): Promise<void> {
  for (const name of USER_STACK_VARIABLES) delete process.env[name];
  // A target a developer set up in their shell (SCHEMAWRIGHT_TARGET_SHOP_URL) is theirs, not the tests'.
  for (const name of Object.keys(process.env).filter((n) => /^SCHEMAWRIGHT_TARGET_.*URL$/.test(n)))
    delete process.env[name];
  process.env.SCHEMAWRIGHT_HOME = join(root, 'home');
  for (const name of [
    'SCHEMAWRIGHT_TEMPORAL_PORT',
    'SCHEMAWRIGHT_TEMPORAL_UI_PORT',
    'SCHEMAWRIGHT_POSTGRES_PORT',
    'SCHEMAWRIGHT_WEB_PORT',
    'SCHEMAWRIGHT_MAIL_CAPTURE_PORT',
  ]) {
    process.env[name] = String(await freePort());
  }
}

function portOf(url: string | undefined, fallback: number): number | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
    return parsed.port ? Number(parsed.port) : fallback;
  } catch {
    return undefined;
  }
}

/** What in `env` (as schemawright reads it, running in `cwd`) would reach a default port; empty when nothing does. */
export function defaultPortsIn(env: NodeJS.ProcessEnv, cwd: string): string[] {
  let settings: Environment;
  try {
    settings = readClientEnvironment(env, cwd);
  } catch {
    return []; // settings schemawright refuses: the child says so itself and reaches nothing
  }
  const used: [string, number | undefined][] = [
    ['the Temporal address', portOf(settings.temporal.address, 7233)],
    ['the Temporal port (SCHEMAWRIGHT_TEMPORAL_PORT)', settings.temporal.port],
    ['the Temporal UI port (SCHEMAWRIGHT_TEMPORAL_UI_PORT)', settings.temporal.uiPort],
    ['the store (DATABASE_URL)', portOf(settings.postgres.databaseUrl, 5432)],
    ['the embedded PostgreSQL port (SCHEMAWRIGHT_POSTGRES_PORT)', settings.postgres.port],
    ['the web port (SCHEMAWRIGHT_WEB_PORT)', settings.web.port],
    ['links in mail and Slack (SCHEMAWRIGHT_WEB_URL)', portOf(settings.approvals.webBaseUrl, 80)],
    ['the mail capture (SCHEMAWRIGHT_MAIL_CAPTURE_PORT)', settings.approvals.mailCapturePort],
    ["the worker's metrics (SCHEMAWRIGHT_WORKER_METRICS_PORT)", settings.metrics.workerPort],
    ['PGPORT', env.PGPORT ? Number(env.PGPORT) : undefined],
  ];
  return used
    .filter(([, port]) => port !== undefined && DEFAULT_PORTS.has(port) && !ownPorts().has(port))
    .map(([what, port]) => `${what} is port ${port}`);
}

/** The run's own servers: a DATABASE_URL the developer chose for the tests may well be on 5432. */
function ownPorts(): Set<number> {
  const raw = process.env[TEST_STACK_ENV];
  if (!raw) return new Set();
  const stack = JSON.parse(raw) as TestStack;
  return new Set(
    [portOf(stack.temporalAddress, 7233), portOf(stack.postgresAdminUrl, 5432)].filter(
      (p): p is number => p !== undefined,
    ),
  );
}

const GUARDED = Symbol.for('schemawright.guardedSpawn');

interface SpawnOptions {
  file: string;
  cwd?: string;
  envPairs?: string[];
}

/**
 * Every process a test starts (spawn, execFile, fork: all go through ChildProcess#spawn) is refused
 * when its environment would reach a default port: that is where a developer's own stack listens.
 */
export function refuseChildrenOnDefaultPorts(): void {
  const proto = ChildProcess.prototype as unknown as { spawn(options: SpawnOptions): unknown; [GUARDED]?: true };
  if (proto[GUARDED]) return;
  const spawn = proto.spawn;
  proto.spawn = function guardedSpawn(this: unknown, options: SpawnOptions) {
    const env = Object.fromEntries(
      (options.envPairs ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    const problems = defaultPortsIn(env, options.cwd ?? process.cwd());
    if (problems.length > 0) {
      throw new Error(
        `A test started ${options.file} with an environment that reaches a default port (${problems.join('; ')}), where a developer's own stack may listen: give it the test's own ports.`,
      );
    }
    return spawn.call(this, options);
  };
  proto[GUARDED] = true;
}
