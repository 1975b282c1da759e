/**
 * A migration as the runner applies it: ordered steps, each of one kind. Review produces these
 * (an online rewrite may split one statement into several steps), the runner applies them, and
 * escalation options point at different step lists.
 */
export type StepKind = 'transactional' | 'non-transactional' | 'backfill';

export interface MigrationStep {
  kind: StepKind;
  /** Short, unique within the migration: shown in plans, audit entries and the history table. */
  name: string;
  /**
   * transactional: any SQL that may run in a transaction (consecutive ones are grouped);
   * non-transactional: one statement that must run alone (CREATE INDEX CONCURRENTLY, ...);
   * backfill: one UPDATE/DELETE with `$1` for the batch size, repeated until it touches no row.
   */
  sql: string;
  /** SQL that undoes this step, when there is one. */
  undo?: string;
  /** backfill only: rows per batch. */
  batchSize?: number;
}

export interface Migration {
  /** Orders migrations of a target: numeric dotted versions or timestamps. */
  version: string;
  name: string;
  steps: MigrationStep[];
  /** The up SQL as written, when it came from a file: review reports its lines and columns. */
  up?: string;
  /** SQL that undoes the whole migration, when it was written as one (an imported down file). */
  down?: string;
  /** Re-applied whenever its SQL changes, instead of refused (Flyway's `R__` repeatables). */
  repeatable?: boolean;
  /** Its tool runs the up outside a transaction (goose NO TRANSACTION and the like): review judges it so. */
  upOutsideTransaction?: boolean;
  /** The file it was read from, for messages about it. */
  source?: string;
  /** A revert's migration (a down, applied as an up): the steps of `version` it takes back, marked undone once it ran. */
  reverts?: string[];
}

/** Statements as one script, each ended by one semicolon (a step's own may be there or not). */
export function asScript(statements: string[]): string {
  return statements.map((sql) => `${sql.replace(/;\s*$/, '')};`).join('\n');
}
