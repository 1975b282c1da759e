import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../stack/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../../stack/postgres';
import { locateTemporalCli } from '../../stack/temporal-cli';
import { startTemporalDevServer, type RunningTemporal } from '../../stack/temporal-server';

/** A throwaway PostgreSQL (and Temporal dev server, when asked) for one benchmark run. */
export interface BenchStack {
  postgres: RunningPostgres;
  temporal?: RunningTemporal;
  stop(): Promise<void>;
}

export async function startBenchStack(options: { temporal?: boolean } = {}): Promise<BenchStack> {
  const root = mkdtempSync(join(tmpdir(), 'schemawright-bench-'));
  chmodSync(root, 0o755); // PostgreSQL runs as the postgres account when we are root
  const [postgres, temporal] = await Promise.all([
    freePort().then((port) =>
      startEmbeddedPostgres({
        dataDir: join(root, 'postgres'),
        port,
        persistent: false,
        throwaway: true,
        logFile: join(root, 'postgres.log'),
      }),
    ),
    options.temporal
      ? Promise.all([locateTemporalCli(), freePort()]).then(([cli, port]) =>
          startTemporalDevServer({
            cliPath: cli.path,
            port,
            namespace: 'default',
            logFile: join(root, 'temporal.log'),
          }),
        )
      : undefined,
  ]);
  return {
    postgres,
    temporal,
    async stop() {
      await Promise.allSettled([temporal?.stop(), postgres.stop()]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** p-th percentile (0..100) of a list of milliseconds. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
