import type { Escalation } from '../../../artifacts/escalation';
import { backup } from './SW-ESC-BACKUP';
import { caching } from './SW-ESC-CACHING';
import { denormalization } from './SW-ESC-DENORMALIZATION';
import { destructive } from './SW-ESC-DESTRUCTIVE';
import { governance } from './SW-ESC-GOVERNANCE';
import { indexWriteOverhead } from './SW-ESC-INDEX-WRITE-OVERHEAD';
import { migrationDowntime } from './SW-ESC-MIGRATION-DOWNTIME';
import { partitioning } from './SW-ESC-PARTITIONING';
import { privileged } from './SW-ESC-PRIVILEGED';
import { replication } from './SW-ESC-REPLICATION';
import { technology } from './SW-ESC-TECHNOLOGY';
import type { EscalationContext, EscalationTrigger } from './trigger';

export type { EscalationContext, EscalationTrigger, TriggerExample } from './trigger';

/** The triggers of DESIGN.md's catalogue: adding one means adding its file and one line here. */
export const escalationTriggers: readonly EscalationTrigger[] = [
  privileged,
  technology,
  denormalization,
  migrationDowntime,
  destructive,
  indexWriteOverhead,
  partitioning,
  replication,
  caching,
  backup,
  governance,
];

/**
 * Every escalation the context calls for, in catalogue order. A small migration on tiny tables with
 * no analysis or modeling findings of these kinds raises none: the workflow then asks one plain approval.
 * The migration's SQL is parsed here synchronously: `await loadParser()` (postgres/parse) once before.
 */
export function raiseEscalations(
  context: EscalationContext,
  triggers: readonly EscalationTrigger[] = escalationTriggers,
): Escalation[] {
  return triggers.flatMap((trigger) => trigger.raise(context));
}
