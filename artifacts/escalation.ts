import type { MigrationStep } from './migration';

/** `reject` is always an option of a question besides the escalation's own. */
export const REJECT = 'reject';

/**
 * An escalation is a question the workflow puts to people: a trade-off or a risk that a person must
 * own. Review raises them (one trigger per file in activities/review/escalations/); the workflow turns
 * each into a gate; the chosen options render the final migration.
 */
export interface ImpactAssessment {
  performance: string;
  consistency: string;
  scalability: string;
}

export type Risk = 'low' | 'medium' | 'high';

export interface EscalationOption {
  /** Unique within the escalation: `online`, `maintenance-window`, `defer`, ... */
  id: string;
  title: string;
  /** What choosing it means, in one or two sentences. */
  summary: string;
  impact: ImpactAssessment;
  risk: Risk;
  /** How long reads/writes are blocked if this option runs; null when nothing is applied. */
  blockingSeconds: number | null;
  /**
   * The steps that take the place of the escalation's `steps` in the final migration. Absent: the
   * reviewed steps stay as they are (advice that changes no SQL). Empty: they are left out (defer).
   */
  replacement?: MigrationStep[];
}

export interface Escalation {
  /** Unique within a request and stable across re-reviews of the same input: `<trigger>:<object>`. */
  id: string;
  /** The trigger that raised it (`SW-ESC-...`). */
  trigger: string;
  /** What was asked for. */
  task: string;
  /** What the problem is, concretely (object, size, lock). */
  problem: string;
  /** What schemawright already tried or checked. */
  attempted: string[];
  options: EscalationOption[];
  /** Id of the option schemawright recommends, with the reason; never chosen for the person. */
  recommendation: { optionId: string; reason: string };
  /** The design principles it touches (from the seeds): "availability over consistency", ... */
  principles: string[];
  /** The facts behind it, as plain JSON. */
  evidence: Record<string, unknown>;
  /** Names of the reviewed migration's steps this escalation is about (may be empty). */
  steps: string[];
}
