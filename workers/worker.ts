import { NativeConnection, Worker, type InjectedSinks, type WorkflowBundle } from '@temporalio/worker';
import { Worker as Thread } from 'node:worker_threads';
import { createActivities, type ActivityDependencies } from '../activities';
import { auditRefusal } from '../approvals/requests';
import { timeActivities } from '../operations/metrics';
import type { RequestSinks } from '../workflows/design-request-messages';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundles the workflows once, in a thread of its own; a process that creates several workers reuses
 * the bundle. webpack and its buffers (135 MB of RSS measured) end with the thread instead of
 * staying in the worker's memory for its whole life. The thread runs plain JavaScript, so it works
 * the same from dist/, under tsx and under jest.
 */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(BUNDLER, {
      eval: true,
      workerData: {
        worker: require.resolve('@temporalio/worker'),
        workflowsPath: WORKFLOWS_PATH,
        // Loaded once for every workflow of the thread instead of once per workflow, with @noble/curves
        // (itself marked free of side effects, so webpack drops a bare preload of it): each workflow's
        // copy built its own table of the base point's multiples, ~30 ms of pure JavaScript in the
        // decision's signature check. Pure functions, and the table a cache of fixed values.
        preloadModules: [require.resolve('../workflows/decision-signature')],
      },
    });
    thread.once('message', (code: string) => resolve({ code }));
    thread.once('error', reject);
    thread.once('exit', (status) =>
      reject(new Error(`the workflow bundler ended (exit status ${status}) without a bundle`)),
    );
  });
}

const BUNDLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bundleWorkflowCode } = require(workerData.worker);
const quiet = () => undefined;
const say = (message) => process.stderr.write('bundler: ' + message + '\\n');
bundleWorkflowCode({
  workflowsPath: workerData.workflowsPath,
  preloadModules: workerData.preloadModules,
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: say, error: say },
}).then(({ code }) => parentPort.postMessage(code));
`;

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDependencies;
  workflowBundle: WorkflowBundle;
  /** Workflows kept in memory between tasks; default WORKFLOW_CACHE_SIZE. */
  maxCachedWorkflows?: number;
}

/**
 * A request parks for hours at a gate and needs its worker only for moments: a parked one that
 * falls out of the cache is replayed from its history when a decision, timer or Query comes. So
 * memory stays flat with thousands parked (the SDK's default sizes the cache by the heap, keeping
 * as many resident as fit), at the price of one replay per wake-up of an evicted request. The cache
 * holds the requests at work and those just parked, whose notifications read them by Query: with
 * 20, sixteen requests on their way to their gates at once (bench:workflow part (c)) churned it, and
 * sdk-core 1.24 lost workflow tasks of runs evicted mid-task ("Extra buffered run should not have
 * produced an activation", "... only an eviction. This is an SDK bug."): those requests stalled for
 * ever. With 50: 1,000 parked on one worker in 260 MB of RSS, and none lost in that run.
 */
export const WORKFLOW_CACHE_SIZE = 50;

export function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createActivities(options.deps),
    sinks: requestSinks(options.deps),
    interceptors: { activity: [timeActivities] },
    maxCachedWorkflows: options.maxCachedWorkflows ?? WORKFLOW_CACHE_SIZE,
    shutdownGraceTime: '10 seconds',
  });
}

/**
 * What the workflow's validators refuse is audited here, before the refusal is answered (the worker
 * awaits sinks first). A validator runs again when its workflow task is retried: the same Update
 * refused for the same reason is written once.
 */
function requestSinks(deps: ActivityDependencies): InjectedSinks<RequestSinks> {
  const recent = new Set<string>();
  return {
    audit: {
      refused: {
        fn: async (info, refusal) => {
          const key = JSON.stringify([info.workflowId, refusal.update, refusal.reason]);
          if (recent.has(key)) return;
          recent.add(key);
          if (recent.size > 10_000) recent.delete(recent.values().next().value!);
          await auditRefusal({ store: deps.store }, refusal);
        },
      },
    },
  };
}
