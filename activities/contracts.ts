import type { ArtifactRef } from '../store/artifacts';
import type {
  ApplyLimits,
  Channel,
  Notification,
  RequestInput,
  RequestState,
} from '../workflows/design-request-messages';
import type { SignedApproval } from '../workflows/rollout-messages';

/**
 * What the design-request workflow hands its phase activities and gets back: target names, artifact
 * refs and digests only, never schema text or credentials, so history stays small and clean.
 */
export type PhaseInput = Pick<
  RequestInput,
  'requestId' | 'kind' | 'title' | 'target' | 'environment' | 'source' | 'reverts'
>;

export interface AnalysisOutcome {
  /** The target's schema fingerprint when analysed. */
  fingerprint: string;
  findings: { errors: number; warnings: number; infos: number };
  artifacts: Record<string, ArtifactRef>;
}

export interface ModelingOutcome {
  /** The migrations to review and apply, in order (JSON of artifacts/migration.ts `Migration[]`). */
  migration: ArtifactRef;
  steps: number;
  artifacts: Record<string, ArtifactRef>;
}

export interface EscalationSummary {
  id: string;
  trigger: string;
  problem: string;
  options: { id: string; title: string; risk: string; blockingSeconds: number | null }[];
  recommendation: { optionId: string; reason: string };
  /** The whole escalation (artifacts/escalation.ts) in the store. */
  escalation: ArtifactRef;
}

export interface ReviewOutcome {
  /** The fingerprint of the schema reviewed (the catalog analysis read): apply goes ahead only if the target has not moved from it. */
  fingerprint: string;
  escalations: EscalationSummary[];
  /** Review findings of severity error: the request cannot be applied as it stands. */
  errors: number;
  report: ArtifactRef;
  artifacts: Record<string, ArtifactRef>;
}

export interface RenderInput {
  migration: ArtifactRef;
  escalations: ArtifactRef[];
  /** escalation id → option id. */
  choices: Record<string, string>;
}

export interface DriftOutcome {
  current: string;
  drifted: boolean;
}

export interface ApplyInput {
  requestId: string;
  target: string;
  migration: ArtifactRef;
  decidedBy: string[];
  limits?: ApplyLimits;
}

/**
 * The details of an apply that stopped for a reason a person must weigh (a lock held by someone
 * else, a failed step): the failure's type is the runner's error name, and the evidence is stored.
 */
export interface ApplyStopped {
  step: string;
  evidence: ArtifactRef;
  /** The target's fingerprint when the apply stopped, read under the lock (applyReviewed): what a retry expects. */
  fingerprint?: string;
}

export interface ApplyReviewedInput extends Omit<ApplyInput, 'migration'> {
  /** The reviewed migration and the options chosen: rendered by the activity. */
  render: RenderInput;
  /**
   * The schema the change was reviewed against: the analysed catalog's fingerprint, or, after an
   * apply that stopped, the target's when it stopped.
   */
  fingerprint: string;
  /** A revert request's downs: the applied steps they take back are marked undone. */
  revert?: boolean;
  /**
   * The approvals the workflow recorded, as their channels signed them, and whose policy they answer
   * to: the activity verifies them with the worker's keys and policy before it touches the target.
   * Absent in applies of requests started before (activities/apply/approved.ts refuses those).
   */
  approvals?: SignedApproval[];
  requester?: string;
  environment?: string;
  /**
   * What led to the apply (the decisions, the phase's start), appended by the activity before anything
   * else, once whatever its attempts: a local activity before it was ~10 ms of scheduling inside the
   * decision's workflow task. Absent in histories from before, which audited them first.
   */
  audits?: AuditBatch['entries'];
}

/** The target drifted (nothing ran), or the chosen migration was applied and verified. */
export type ApplyReviewedOutcome =
  | { drifted: true; current: string }
  | { drifted: false; applied: ApplyOutcome; verified: VerifyOutcome; artifacts: Record<string, ArtifactRef> };

export interface ApplyOutcome {
  steps: number;
  applied: number;
  alreadyApplied: number;
  durationMs: number;
}

export interface VerifyOutcome {
  ok: boolean;
  fingerprint: string;
  problems: string[];
}

export interface AuditInput {
  kind: string;
  requestId: string;
  target: string;
  actor?: string;
  channel?: Channel;
  data: Record<string, unknown>;
}

/** One request's audit entries, its id and target said once. */
export interface AuditBatch {
  requestId: string;
  target: string;
  entries: Omit<AuditInput, 'requestId' | 'target'>[];
}

/** The activities the workflow calls; each phase implements its own in an adapter beside its engine (activities/<phase>/activity.ts). */
export interface RequestActivities {
  analyzeTarget(input: PhaseInput): Promise<AnalysisOutcome>;
  modelChange(input: PhaseInput & { analysis: AnalysisOutcome }): Promise<ModelingOutcome>;
  reviewChange(input: PhaseInput & { modeling: ModelingOutcome; analysis: AnalysisOutcome }): Promise<ReviewOutcome>;
  renderChosenMigration(input: RenderInput): Promise<{ migration: ArtifactRef; steps: number }>;
  checkDrift(input: { target: string; fingerprint: string }): Promise<DriftOutcome>;
  applyChange(input: ApplyInput): Promise<ApplyOutcome>;
  /** A revert request's apply: the runner over its migrations (downs), marking what they take back undone. */
  revertChange(input: ApplyInput): Promise<ApplyOutcome>;
  verifyChange(input: { target: string; migration: ArtifactRef }): Promise<VerifyOutcome>;
  /** Render, drift check and apply in one session under the target's apply lock, then verify. */
  applyReviewed(input: ApplyReviewedInput): Promise<ApplyReviewedOutcome>;
  /** `state`: the state the request ends in (absent in older histories: the report then shows the view's). */
  /** `status`: the request's view, in older histories; absent, the activity reads it by the `status` Query. */
  writeReport(input: { requestId: string; status?: unknown; state?: RequestState }): Promise<ArtifactRef>;
  audit(input: AuditInput): Promise<void>;
  notify(notification: Notification): Promise<void>;
  /** A transition's audit entries, in order, in one transaction (histories from before them call `audit` per entry). */
  auditBatch(batch: AuditBatch): Promise<void>;
  /** A transition's notifications, in order; what one channel fails to deliver is audited, as with `notify`. */
  notifyBatch(notifications: Notification[]): Promise<void>;
  /**
   * A request's end in one call: its report written, then the entries still to audit and the end's own,
   * which names the report (histories from before call `writeReport` and `auditBatch`).
   */
  endRequest(input: EndRequestInput): Promise<ArtifactRef>;
}

export interface EndRequestInput extends AuditBatch {
  status: unknown;
  state: RequestState;
  /** The end's entry, without the report it names: the activity adds `report` to its data. */
  end: Omit<AuditInput, 'requestId' | 'target'>;
}
