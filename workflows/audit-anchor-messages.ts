import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AuditCheckpoint } from '../store/audit-checkpoints';

/** One anchor per audit key: the key's id names the workflow, so installations sharing a namespace keep theirs apart. */
export const auditAnchorWorkflowId = (keyId: string) => `schemawright-audit-anchor-${keyId}`;

/** A checkpoint the store has just signed and kept. */
export const anchorCheckpoint = defineSignal<[AuditCheckpoint]>('anchorCheckpoint');
/** The newest checkpoint received, or null before the first. */
export const newestAnchoredCheckpoint = defineQuery<AuditCheckpoint | null>('newestAnchoredCheckpoint');
