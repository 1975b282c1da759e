import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy, type Policy } from '../../approvals/policy';
import { startChild, type ManagedChild } from '../../stack/child-process';
import { freePort } from '../../stack/ports';
import { waitFor } from '../../stack/wait';
import type { DecisionKeys } from '../../workflows/design-request-messages';
import { WORKER_NODE_FLAGS, workerEnvironment } from '../../workers/worker-memory';

const REPO = join(__dirname, '..', '..');

/** Who decides in the benchmarks: ann and bob approve, rita requests; nobody else is asked. */
const POLICY_YAML = `people:
  rita: { name: Rita, email: rita@bench.test }
  ann: { name: Ann, email: ann@bench.test }
  bob: { name: Bob, email: bob@bench.test }
admins: []
targets:
  "*":
    "*": { approvers: [ann, bob], quorum: 1, separation_of_duties: true }
`;

export interface BenchWorker {
  child: ManagedChild;
  /** The policy the worker verifies approvals with: start requests with it too. */
  policy: Policy;
  /** The worker's /metrics, as Prometheus text. */
  metrics(): Promise<string>;
  /** The worker process's memory now, from /proc. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

/**
 * `schemawright worker` as production runs it (`node cli/bin.js worker`, the compiled dist/) in a
 * process of its own, so that its memory is the worker's alone: on the bench's Temporal and store,
 * verifying decisions with `decisionKeys`, its mail to `smtpUrl`, with the targets in `targets`.
 */
export async function startBenchWorker(options: {
  temporalAddress: string;
  storeUrl: string;
  taskQueue: string;
  decisionKeys: DecisionKeys;
  smtpUrl: string;
  targets: Record<string, string>;
}): Promise<BenchWorker> {
  const home = mkdtempSync(join(tmpdir(), 'schemawright-bench-worker-'));
  const policyFile = join(home, 'policy.yaml');
  writeFileSync(policyFile, POLICY_YAML);
  const metricsPort = await freePort();
  const child = startChild(
    'worker',
    process.execPath,
    [...WORKER_NODE_FLAGS, join(REPO, 'cli/bin.js'), 'worker'],
    join(home, 'worker.log'),
    {
      cwd: REPO,
      // Started as `npm start` starts its worker (workers/worker-memory.ts).
      env: workerEnvironment({
        ...process.env,
        ...options.targets,
        TEMPORAL_ADDRESS: options.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        DATABASE_URL: options.storeUrl,
        SCHEMAWRIGHT_TASK_QUEUE: options.taskQueue,
        SCHEMAWRIGHT_HOME: home,
        SCHEMAWRIGHT_POLICY: policyFile,
        SCHEMAWRIGHT_DECISION_PUBLIC_KEY: options.decisionKeys.web!,
        SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY: options.decisionKeys.cli!,
        SCHEMAWRIGHT_WORKER_METRICS_PORT: String(metricsPort),
        SCHEMAWRIGHT_TOKEN_KEYS: 'bench:0123456789abcdef0123456789abcdef',
        SMTP_URL: options.smtpUrl,
      }),
    },
  );
  try {
    // bin.js compiles dist/ first when a source changed: minutes on a loaded machine.
    await waitFor(
      'the worker to poll',
      async () => {
        if (child.process.exitCode !== null) throw new Error(`the worker exited: ${child.logTail()}`);
        return child.logTail(200).includes('worker polling') ? true : undefined;
      },
      { timeoutMs: 5 * 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  const pid = child.process.pid!;
  return {
    child,
    policy: loadPolicy(policyFile),
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    memory: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
    },
    // Longer than the worker's own shutdown grace (10 s) and its shadow server's stop after it: killed
    // sooner, the worker left that server running.
    stop: () => child.stop(30_000),
  };
}

/** Time spent in each activity so far, from a worker's schemawright_activity_duration_seconds (operations/metrics.ts). */
export function activityTimes(metrics: string): Map<string, { seconds: number; count: number }> {
  const times = new Map<string, { seconds: number; count: number }>();
  for (const [, series, labels, value] of metrics.matchAll(
    /^schemawright_activity_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm,
  )) {
    const name = /activity="([^"]*)"/.exec(labels!)?.[1] ?? '';
    const entry = times.get(name) ?? { seconds: 0, count: 0 };
    if (series === 'sum') entry.seconds += Number(value);
    else entry.count += Number(value);
    times.set(name, entry);
  }
  return times;
}
