import type { MigrationStep, StepKind } from '../../../artifacts/migration';
import type { ClientBase } from 'pg';
import type { HistoryStatus, StepRecord } from '../history';
import type { TargetSession } from '../session';

/** What a step kind says about a step before anything runs. */
export interface StepPlan {
  step: string;
  kind: StepKind;
  runsInTransaction: boolean;
  /** How the step is applied, in one sentence for plans and audit entries. */
  how: string;
  /** What a retry after a crash or a lock timeout does. */
  onRetry: string;
}

export interface StepContext {
  session: TargetSession;
  step: MigrationStep;
  /** The step's history row, as the runner will record it; the kind picks the status and the moment. */
  record: Omit<StepRecord, 'status' | 'startedAt'>;
  /** Progress within a step (backfill batches). */
  progress(detail: string): void;
}

/** What a step stopped mid-way left on the target, and what a retry does with it. */
export interface LeftBehind {
  what: string;
  retry: string;
}

/** A step the runner stopped in: its history row's status (none: never recorded) and the last progress seen. */
export interface StoppedStep {
  client: ClientBase;
  step: MigrationStep;
  status: HistoryStatus | undefined;
  observed?: string;
}

/**
 * A step applied on a fresh database that ran `setup`: afterwards `check` returns one row with
 * `ok = true`; after its undo, `undone` does. steps.test.ts runs every kind's examples.
 */
export interface StepExample {
  setup: string;
  step: MigrationStep;
  check: string;
  undone: string;
}

/**
 * One kind of migration step (pgroll's operation interface): each kind is one file, and adding a
 * kind means adding a file here, not a case in the runner.
 */
export interface StepKindRunner {
  kind: StepKind;
  /** Why this kind exists and what it guarantees. */
  explanation: string;
  examples: StepExample[];
  plan(step: MigrationStep): StepPlan;
  /** Applies the step and records it applied; throws the database's error if it fails. */
  apply(context: StepContext): Promise<{ detail?: string }>;
  /** After apply: what is wrong with the result, or undefined when it is what the step promised. */
  verify(context: StepContext): Promise<string | undefined>;
  /** Runs the step's undo and records it undone; only for steps that have one. */
  undo(context: StepContext): Promise<void>;
  /**
   * Before a retry (after a crash, a failure or a lock timeout): removes what a broken attempt left
   * behind, or finds that the attempt finished its work (`done`: the runner records it applied
   * without running it again). `detail` says what it did.
   */
  makeRetrySafe(context: StepContext): Promise<{ done: boolean; detail?: string }>;
  /**
   * What a step of this kind stopped mid-way (a lost connection, a lock timeout, a failure) leaves
   * behind, read from the target's catalog: the stop report tells people, so that nobody hears
   * "nothing was applied" while an INVALID index or half a backfill is there. Undefined: nothing.
   */
  leftBehind(stopped: StoppedStep): Promise<LeftBehind | undefined>;
}
