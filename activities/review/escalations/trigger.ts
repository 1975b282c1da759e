import type { Catalog } from '../../../postgres/introspection';
import type { Escalation } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import type { Migration } from '../../../artifacts/migration';
import type { ApplyRole } from '../../../postgres/privileged/apply-role';
import type { PgVersion } from '../../../postgres/pg-version';
import type { ReviewReport, TableSizes } from '../review';

/** What a trigger reads: the migration under review, its review, the target's sizes and catalog, and the findings before it. */
export interface EscalationContext {
  task: string;
  migration: Migration;
  report?: ReviewReport;
  tableSizes: TableSizes;
  catalog?: Catalog;
  analysisFindings: Finding[];
  modelingFindings: Finding[];
  pgVersion: PgVersion;
  /** Who would run the approved migration, with which rights (read from the target); absent without a target. */
  applyRole?: ApplyRole;
}

/** One example of a trigger, run as a test: the input, and the escalation ids it must raise (none for a quiet one). */
export interface TriggerExample {
  title: string;
  /** The migration's up SQL as written. */
  sql?: string;
  tableSizes?: TableSizes;
  catalog?: Catalog;
  analysisFindings?: Finding[];
  modelingFindings?: Finding[];
  pgVersion?: string;
  applyRole?: ApplyRole;
  ids: string[];
}

/**
 * One escalation trigger of DESIGN.md's catalogue, in its own file named after its id: when a person
 * must own a trade-off, it raises an escalation with real options. `examples` run as tests.
 */
export interface EscalationTrigger {
  id: string;
  explanation: string;
  /** What the person asked does, for docs/rules.md: the choice the options offer. */
  remedy: string;
  raise(context: EscalationContext): Escalation[];
  examples: { fires: TriggerExample[]; quiet: TriggerExample[] };
}
