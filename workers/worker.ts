import {
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type InjectedSinks,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';
import { auditRefusal } from '../approvals/requests';
import { timeActivities } from '../operations/metrics';
import type { RequestSinks } from '../workflows/design-request-messages';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Bundles the workflows once; a process that creates several workers reuses the bundle. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`bundler: ${message}\n`),
  error: (message: string) => process.stderr.write(`bundler: ${message}\n`),
};

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDependencies;
  workflowBundle: WorkflowBundleWithSourceMap;
  /** Workflows kept in memory between tasks; default WORKFLOW_CACHE_SIZE. */
  maxCachedWorkflows?: number;
}

/**
 * A request parks for hours at a gate and needs its worker only for moments: a parked one that
 * falls out of the cache is replayed from its history when a decision, timer or Query comes. So
 * memory stays flat with thousands parked (the SDK's default sizes the cache by the heap, keeping
 * as many resident as fit), at the price of one replay per wake-up of an evicted request.
 */
export const WORKFLOW_CACHE_SIZE = 100;

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
