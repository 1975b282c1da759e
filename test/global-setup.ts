import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../stack/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../stack/postgres';
import { locatePostgresClient } from '../stack/postgres-client';
import { locateTemporalCli } from '../stack/temporal-cli';
import { startTemporalDevServer, type RunningTemporal } from '../stack/temporal-server';
import { isolateTestRun } from './support/isolation';
import { TEST_STACK_ENV, type TestStack } from './support/stack';

export interface Started {
  root: string;
  temporal?: RunningTemporal;
  postgres?: RunningPostgres;
  /** The sandbox every review of the run uses (SCHEMAWRIGHT_SHADOW_URL): a server apart from the targets'. */
  shadow?: RunningPostgres;
}

declare global {
  // Shared between global setup and teardown (same process); tests read the environment instead.
  var __schemawrightTestStack: Started | undefined;
}

export async function stopTestStack(): Promise<void> {
  const started = globalThis.__schemawrightTestStack;
  if (!started) return;
  globalThis.__schemawrightTestStack = undefined;
  await Promise.allSettled([started.temporal?.stop(), started.postgres?.stop(), started.shadow?.stop()]);
  rmSync(started.root, { recursive: true, force: true });
}

/**
 * Starts Temporal, PostgreSQL and the shadow server at once into `started` (and finds pg_dump). When one
 * fails, the others are waited for and stopped before this rejects: a server still starting when its
 * sibling fails must not outlive us.
 */
export async function startTestServers(
  started: Started,
  cliPath: string,
  options: { usePostgres: boolean },
): Promise<{ temporal: RunningTemporal; postgres?: RunningPostgres; shadow: RunningPostgres }> {
  const [temporalPort, postgresPort, shadowPort] = [await freePort(), await freePort(), await freePort()];
  const results = await Promise.allSettled([
    startTemporalDevServer({
      cliPath,
      port: temporalPort,
      namespace: 'default',
      logFile: join(started.root, 'temporal.log'),
    }).then((server) => (started.temporal = server)),
    options.usePostgres
      ? startEmbeddedPostgres({
          dataDir: join(started.root, 'postgres'),
          port: postgresPort,
          persistent: false,
          throwaway: true,
          logFile: join(started.root, 'postgres.log'),
        }).then((server) => (started.postgres = server))
      : undefined,
    startEmbeddedPostgres({
      dataDir: join(started.root, 'shadow'),
      port: shadowPort,
      persistent: false,
      throwaway: true,
      logFile: join(started.root, 'shadow.log'),
    }).then((server) => (started.shadow = server)),
    // pg_dump and pg_restore for the shadow copy, fetched into the per-user cache on a first run.
    locatePostgresClient(),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled([started.temporal?.stop(), started.postgres?.stop(), started.shadow?.stop()]);
    throw failed.reason;
  }
  return { temporal: started.temporal!, postgres: started.postgres, shadow: started.shadow! };
}

/** One real Temporal dev server, one real PostgreSQL for targets and stores, and one shadow server for the whole run. */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'schemawright-test-'));
  chmodSync(root, 0o755); // PostgreSQL runs as the postgres account when we are root
  const started: Started = { root };
  globalThis.__schemawrightTestStack = started;
  // If jest is interrupted, the detached servers must not outlive it.
  process.once('exit', () => {
    started.temporal?.child.process.kill('SIGKILL');
    started.postgres?.child.process.kill('SIGQUIT');
    started.shadow?.child.process.kill('SIGQUIT');
  });
  try {
    await isolateTestRun(root);
    const cli = await locateTemporalCli();
    const { temporal, postgres, shadow } = await startTestServers(started, cli.path, {
      usePostgres: !process.env.DATABASE_URL,
    });
    process.env.SCHEMAWRIGHT_SHADOW_URL = shadow.adminUrl;
    const stack: TestStack = {
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      postgresAdminUrl: postgres?.adminUrl ?? process.env.DATABASE_URL!,
      temporalCliPath: cli.path,
    };
    process.env[TEST_STACK_ENV] = JSON.stringify(stack);
  } catch (error) {
    await stopTestStack();
    throw error;
  }
}
