import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ArtifactRef } from '../store/artifacts';
import type {
  ApplyLimits,
  Channel,
  DecisionInput,
  DecisionKeys,
  DecisionReceipt,
  GatePolicy,
  GateTimings,
  QuestionView,
  RequestSource,
} from './design-request-messages';

/**
 * What the rollout workflow, its per-target children and their clients say to each other: one
 * reviewed change promoted through a group's stages, in waves. Types and message definitions only.
 */
export interface RolloutStage {
  environment: string;
  targets: string[];
  waves: string[][];
  maxFailures: number;
  pauseSeconds: number;
  /** Who approves this stage: the policy's rule for the group's name and the stage's environment. */
  policy: GatePolicy;
}

export interface RolloutInput {
  rolloutId: string;
  title: string;
  /** The group's name, as the policy has it; its resolved stages are below, recorded at kickoff. */
  group: string;
  requester: string;
  channel: Channel;
  source: RequestSource;
  stages: RolloutStage[];
  /**
   * The stages' targets as resolved at kickoff, stored as an artifact (`RolloutTargets`): its digest
   * is in every approval's question id, so an approval holds for these targets only.
   */
  targets: ArtifactRef;
  timings: GateTimings;
  heartbeatSeconds?: number;
  apply?: ApplyLimits;
  decisionKeys: DecisionKeys;
  /** Children running at once within a wave; default 10. */
  concurrency?: number;
  /**
   * History events after which the rollout starts no more children and continues as a new run
   * (default 5,000; Temporal's own suggestion too), so a rollout over 1,000 targets keeps each run's history small.
   */
  continueAfterEvents?: number;
  /** Where the previous run stopped: the rollout continues from here. */
  carried?: RolloutCarried;
}

/** What a rollout hands its next run: the stage approved and the wave it was in, and everything it knows. */
export interface RolloutCarried {
  stage: number;
  wave: number;
  paused: boolean;
  targets: (TargetView & { attempts: number })[];
  reviews: ReviewView[];
  questions: (QuestionView & { approvals: SignedApproval[] })[];
}

export type RolloutState =
  | 'running'
  | 'awaiting-approval'
  | 'applying'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'aborted'
  | 'rejected'
  | 'expired';

export type TargetState =
  | 'pending'
  | 'applying'
  | 'applied'
  | 'failed'
  | 'skipped'
  | 'drifted'
  | 'aborted'
  | 'unchanged';

export interface TargetView {
  name: string;
  environment: string;
  /** 1-based within its stage. */
  wave: number;
  state: TargetState;
  /** The fingerprint of the schema its review saw (shared by every target with that schema). */
  review?: string;
  /** What went wrong, or what was applied. */
  detail?: string;
}

/** One review per distinct schema: the migration approved for every target that had it. */
export interface ReviewView {
  fingerprint: string;
  /** The migration rendered with the review's recommended options: what the approvers approve, by digest. */
  migration: ArtifactRef;
  steps: number;
  escalations: string[];
  report: ArtifactRef;
  /** The target it was made on; the others with this fingerprint share it. */
  reviewedOn: string;
}

export interface RolloutStatusView {
  rolloutId: string;
  title: string;
  group: string;
  requester: string;
  state: RolloutState;
  paused: boolean;
  /** The targets as resolved at kickoff (`RolloutTargets`), stored. */
  resolved: ArtifactRef;
  current?: { environment: string; wave: number; waves: number };
  targets: TargetView[];
  reviews: ReviewView[];
  questions: QuestionView[];
  outcome?: string;
}

/**
 * An approval as the parent hands it to a child: the decision as its channel signed it, and the
 * Update id it was signed for. The apply activity verifies it again with the keys the worker holds.
 */
export interface SignedApproval {
  decision: DecisionInput;
  updateId: string;
}

export interface RolloutTargetInput {
  rolloutId: string;
  environment: string;
  target: string;
  /** The reviewed schema the target must still have, checked under the apply lock. */
  fingerprint: string;
  /** The approved, rendered migration. */
  migration: ArtifactRef;
  /** The rollout's resolved targets (`RolloutInput.targets`): the activity checks the target is one of its stage's. */
  targets: ArtifactRef;
  approvals: SignedApproval[];
  heartbeatSeconds?: number;
  apply?: ApplyLimits;
}

export type RolloutTargetResult =
  | { outcome: 'applied'; applied: number; steps: number; durationMs: number }
  | { outcome: 'drifted'; current: string }
  | { outcome: 'failed'; error: string };

/** What a rollout's `targets` artifact holds. */
export interface RolloutTargets {
  group: string;
  stages: { environment: string; targets: string[] }[];
}

/**
 * The question that approves `migration` for a stage: its id binds the signed votes to the stage,
 * the migration, the schema it was reviewed on and the rollout's resolved targets.
 */
export function approvalQuestionId(
  environment: string,
  migrationDigest: string,
  fingerprint: string,
  targetsDigest: string,
): string {
  return `approve:${environment}:${migrationDigest}:${fingerprint}:${targetsDigest}`;
}

export const APPROVE = 'apply';

export function rolloutWorkflowId(rolloutId: string): string {
  return `rollout-${rolloutId}`;
}

/** A target's child, one per attempt: named from the rollout's id, so a replay under any workflow id names it the same. */
export function targetWorkflowId(rolloutId: string, target: string, attempt: number): string {
  return `${rolloutWorkflowId(rolloutId)}/${target}/${attempt}`;
}

/** The request id a rollout's target is applied and audited under: one request per target. */
export function targetRequestId(rolloutId: string, target: string): string {
  return `${rolloutId}:${target}`;
}

/**
 * What the rollout tells its people through the approvals channels: a question to its approvers,
 * a wave done (Slack's root message is updated), or the end (the requester gets the summary).
 */
export interface RolloutNotification {
  /** `decided`: the question was decided, rejected or expired (its message shows it, without buttons). */
  kind: 'question' | 'decided' | 'wave' | 'ended';
  /** Counts, not the grid: a rollout over 1,000 targets keeps its history small. */
  status: Omit<RolloutStatusView, 'targets' | 'reviews' | 'questions' | 'resolved'> & { stages: StageCounts[] };
  question?: QuestionView;
  /** Policy person ids: the question's approvers, or the requester at the end; none for a wave. */
  recipients: string[];
}

/** A stage's targets by state, as a rollout's summaries show them (production's approvers see the earlier ones). */
export interface StageCounts {
  environment: string;
  applied: number;
  failed: number;
  skipped: number;
  pending: number;
}

/** What a rollout tells of its status: each stage's targets counted by state (stages in order), not the grid. */
export function toldStatus(view: RolloutStatusView): RolloutNotification['status'] {
  const { targets, reviews: _reviews, questions: _questions, resolved: _resolved, ...status } = view;
  const stages = [...new Set(targets.map((t) => t.environment))].map((environment) => {
    const states = targets.filter((t) => t.environment === environment).map((t) => t.state);
    const count = (...which: TargetState[]) => states.filter((state) => which.includes(state)).length;
    return {
      environment,
      applied: count('applied', 'unchanged'),
      failed: count('failed', 'drifted'),
      skipped: count('skipped', 'aborted'),
      pending: count('pending', 'applying'),
    };
  });
  return { ...status, stages };
}

export type ControlAction = 'pause' | 'resume' | 'skip' | 'retry' | 'abort';

/**
 * A person's control of a running rollout. Signed like a decision: `decision.questionId` is
 * `control`, `decision.optionId` the action and its target (`skip:tenant_7`), so the channel's
 * signature covers both.
 */
export interface ControlInput {
  decision: DecisionInput;
}

export function controlDecision(
  action: ControlAction,
  target?: string,
): Pick<DecisionInput, 'questionId' | 'optionId'> {
  return { questionId: 'control', optionId: target ? `${action}:${target}` : action };
}

export const rolloutDecide = defineUpdate<DecisionReceipt, [DecisionInput]>('decide');
export const rolloutControl = defineUpdate<RolloutStatusView, [ControlInput]>('control');
export const rolloutStatus = defineQuery<RolloutStatusView>('rolloutStatus');
