import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AuditCheckpoint } from '../store/audit-checkpoints';
import { anchorCheckpoint, newestAnchoredCheckpoint } from './audit-anchor-messages';

/** Past this many events the run hands its newest checkpoint to a fresh one, so a query replays little. */
const MAX_HISTORY_EVENTS = 1_000;

/**
 * The audit chain's anchor outside the store: a long-lived workflow whose history, kept by Temporal
 * and not by the store's PostgreSQL, receives every signed checkpoint; it answers with the newest.
 * It checks no signature (workflow code does no crypto): `audit verify` does, with the public key.
 */
export async function auditAnchor(newest: AuditCheckpoint | null = null): Promise<void> {
  setHandler(anchorCheckpoint, (checkpoint) => {
    if (!newest || checkpoint.entries > newest.entries) newest = checkpoint;
  });
  setHandler(newestAnchoredCheckpoint, () => newest);
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_HISTORY_EVENTS);
  await condition(allHandlersFinished);
  await continueAsNew<typeof auditAnchor>(newest);
}
