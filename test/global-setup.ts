import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../stack/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../stack/postgres';
import { locatePostgresClient } from '../stack/postgres-client';
import { locateTemporalCli } from '../stack/temporal-cli';
import { startTemporalDevServer, type RunningTemporal } from '../stack/temporal-server';
import { TEST_STACK_ENV, type TestStack } from './support/stack';

interface Started {
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
    const cli = await locateTemporalCli();
    const [temporalPort, postgresPort, shadowPort] = [await freePort(), await freePort(), await freePort()];
    // Each is recorded as soon as it runs, so a failure of the other still stops it.
    const [temporal, postgres, shadow] = await Promise.all([
      startTemporalDevServer({ cliPath: cli.path, port: temporalPort, namespace: 'default', logFile: join(root, 'temporal.log') }).then(
        (server) => (started.temporal = server),
      ),
      process.env.DATABASE_URL
        ? undefined
        : startEmbeddedPostgres({ dataDir: join(root, 'postgres'), port: postgresPort, persistent: false, throwaway: true, logFile: join(root, 'postgres.log') }).then(
            (server) => (started.postgres = server),
          ),
      startEmbeddedPostgres({ dataDir: join(root, 'shadow'), port: shadowPort, persistent: false, throwaway: true, logFile: join(root, 'shadow.log') }).then(
        (server) => (started.shadow = server),
      ),
      // pg_dump and pg_restore for the shadow copy, fetched into the per-user cache on a first run.
      locatePostgresClient(),
    ]);
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
