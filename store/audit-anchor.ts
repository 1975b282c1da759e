import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { anchorCheckpoint, auditAnchorWorkflowId, newestAnchoredCheckpoint } from '../workflows/audit-anchor-messages';
import type { AuditPublicKey, AuditSigningKey } from './audit-key';
import { newestCheckpoint, writeCheckpoints, type AuditCheckpoint } from './audit-checkpoints';

/** Kinds of the entry that ends a request (workflows/design-request.ts `finish`): its checkpoint is written at once. */
export const REQUEST_END_KINDS: ReadonlySet<string> = new Set([
  'completed',
  'failure',
  'rejected',
  'expired',
  'cancelled',
]);

/** How often a process that appends checks for entries no checkpoint covers yet. */
export const CHECKPOINT_EVERY_MS = 60_000;

export interface AuditAnchoring {
  store: Pool;
  key: AuditSigningKey;
  /** The Temporal side: the anchor workflow runs on this task queue. */
  temporal: { client: Client; taskQueue: string };
}

/**
 * Checkpoints the audit chain: signs and stores checkpoints of new entries, then hands the newest to the
 * anchor workflow (started on first use). A checkpoint another process wrote is anchored too, so one
 * that was stored but not anchored (Temporal was down) is anchored on the next run.
 */
export function auditCheckpointer({
  store,
  key,
  temporal,
}: AuditAnchoring): () => Promise<AuditCheckpoint | undefined> {
  let anchoredEntries = 0;
  let running: Promise<AuditCheckpoint | undefined> | undefined;
  const run = async () => {
    await writeCheckpoints(store, key);
    const newest = await newestCheckpoint(store);
    if (!newest || newest.entries <= anchoredEntries) return undefined;
    await temporal.client.workflow.signalWithStart('auditAnchor', {
      workflowId: auditAnchorWorkflowId(key.id),
      taskQueue: temporal.taskQueue,
      args: [null],
      signal: anchorCheckpoint,
      signalArgs: [newest],
    });
    anchoredEntries = newest.entries;
    return newest;
  };
  // One run at a time per process: a request's end and the minute's tick may meet.
  return () => {
    const next = (running ?? Promise.resolve(undefined)).catch(() => undefined).then(run);
    running = next;
    return next;
  };
}

/** Runs `checkpoint` every CHECKPOINT_EVERY_MS; a failure is told on stderr and tried again on the next tick. */
export function checkpointEveryMinute(
  checkpoint: () => Promise<unknown>,
  everyMs = CHECKPOINT_EVERY_MS,
): { stop(): Promise<void> } {
  let last: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    last = checkpoint().catch((error: Error) =>
      process.stderr.write(`audit checkpoint failed (tried again in ${everyMs / 1000} s): ${error.message}\n`),
    );
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await last;
    },
  };
}

/** The newest checkpoint the anchor workflow holds; null when there is no anchor for this key yet. */
export async function readAnchor(client: Client, key: AuditPublicKey): Promise<AuditCheckpoint | null> {
  try {
    return await client.workflow.getHandle(auditAnchorWorkflowId(key.id)).query(newestAnchoredCheckpoint);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
