import { defineQuery, defineUpdate, type Sinks } from '@temporalio/workflow';
import type { ArtifactRef } from '../store/artifacts';

/**
 * What the design-request workflow and its clients (CLI, Slack, email/web, HTTP API) say to each
 * other. Imported by the workflow and by every client; types only, plus the message definitions.
 */
export type RequestKind = 'design' | 'change' | 'review' | 'revert';
export type Channel = 'cli' | 'slack' | 'email' | 'web' | 'api';

export type RequestState =
  | 'running'
  | 'awaiting-approval'
  | 'applying'
  | 'completed'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'failed';

/** The phases of a request, in order: the web page and the Slack root message show the steps between kickoff and done. */
export const PHASES = [
  'kickoff',
  'analysis',
  'modeling',
  'review',
  'gates',
  'drift-check',
  'apply',
  'verify',
  'report',
  'done',
] as const;

export type Phase = (typeof PHASES)[number];

/** Who may decide, resolved from the policy file for the request's target and environment at kickoff. */
export interface GatePolicy {
  approvers: string[];
  /** Asked too once a question has waited `rerouteAfterSeconds`. */
  backupApprovers: string[];
  /** May cancel any request and decide against the recommendation without being an approver. */
  admins: string[];
  /** Distinct approvers who must choose the same option before a question is decided. */
  quorum: number;
  /** On by default: a requester never decides their own request. */
  separationOfDuties: boolean;
}

export interface GateTimings {
  remindEverySeconds: number;
  rerouteAfterSeconds: number;
  expireAfterSeconds: number;
}

/** Artifacts are addressed by their digest; the workflow carries only these refs. */
export type { ArtifactRef };

export type RequestSource = ArtifactRef & {
  /** `revert`: a revert request's reason, as its requester wrote it. */
  format: 'spec' | 'sql' | 'migrations' | 'revert';
  /** The file's name as the requester knows it (a base name, never a path of their machine), for messages; absent in older requests. */
  name?: string;
};

export interface RequestInput {
  requestId: string;
  kind: RequestKind;
  title: string;
  /** A target NAME; its connection string is resolved inside activities, never carried here. */
  target: string;
  environment: string;
  requester: string;
  channel: Channel;
  /** The spec or SQL as stored in the artifacts table before the workflow starts. */
  source: RequestSource;
  policy: GatePolicy;
  timings: GateTimings;
  /** How soon a killed worker's activity is retried elsewhere; default 60. */
  heartbeatSeconds?: number;
  /** The runner's patience with locks held by others (defaults: 5 s per try, 5 retries). */
  apply?: ApplyLimits;
  /** The public keys that verify decisions, by channel; absent in requests started before decisions were signed. */
  decisionKeys?: DecisionKeys;
  /** A revert request's (kind `revert`) applied request, and the migrations it applied. */
  reverts?: RevertOf;
}

export interface RevertOf {
  requestId: string;
  /** The applied request's chosen migrations (its `render-migration` artifact). */
  migration: ArtifactRef;
  reason: string;
}

/** Ed25519 public keys (hex) by channel: the web process's key for email, Slack, web and API, the operator's for the CLI. */
export type DecisionKeys = Partial<Record<Channel, string>>;

export interface ApplyLimits {
  lockTimeoutMs?: number;
  lockRetries?: number;
}

export { REJECT } from '../artifacts/escalation';

export interface DecisionInput {
  questionId: string;
  optionId: string;
  person: string;
  channel: Channel;
  comment?: string;
  /** The signature of the channel that authenticated the person (workflows/decision-signature.ts); absent in old histories. */
  signature?: DecisionSignature;
}

export interface DecisionSignature {
  /** ISO time of signing: a decision is taken within minutes of it. */
  signedAt: string;
  /** Ed25519 over the decision, the request id and the Update id, hex. */
  value: string;
}

export interface Vote {
  person: string;
  optionId: string;
  channel: Channel;
  comment?: string;
  at: string;
}

export interface QuestionView {
  id: string;
  trigger: string;
  problem: string;
  options: { id: string; title: string; risk: string; blockingSeconds: number | null }[];
  recommendation: { optionId: string; reason: string };
  state: 'open' | 'decided' | 'rejected' | 'expired';
  chosenOptionId?: string;
  votes: Vote[];
  quorum: number;
  /** Everyone who may answer now: approvers, plus backups once re-routed. */
  askedTo: string[];
  raisedAt: string;
  expiresAt: string;
  remindersSent: number;
  /** The full escalation (task, attempts, impacts, evidence) in the artifacts table. */
  escalation: ArtifactRef;
}

/** What the vote did, read when it was counted: `open` with 1 of 3 votes until the quorum is reached. */
export interface DecisionReceipt {
  questionId: string;
  optionId: string;
  person: string;
  questionState: QuestionView['state'];
  votes: number;
  quorum: number;
  /** Echoed so that a caller repeating an Update id can tell whether it asked for the same decision. */
  comment?: string;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail?: string;
}

export interface RequestStatusView {
  requestId: string;
  kind: RequestKind;
  title: string;
  target: string;
  environment: string;
  requester: string;
  state: RequestState;
  phase: Phase;
  questions: QuestionView[];
  timeline: TimelineEntry[];
  /** Reports, DDL, ERD, findings, migrations by name. */
  artifacts: Record<string, ArtifactRef>;
  outcome?: string;
  /**
   * What the request waits for (approvers, the target's apply lock and whose request holds it, a
   * retry): filled in by approvals/requests.ts `requestStatus`, not by the workflow.
   */
  waitingFor?: string;
}

export interface CancelInput {
  person: string;
  reason?: string;
  /** Signed as a decision (`cancelAsDecision`) by the channel that authenticated the person; absent from older callers. */
  channel?: Channel;
  signature?: DecisionInput['signature'];
}

/** A cancel as its channel signs it: a decision on the request itself, so a forged one sent to Temporal is refused. */
export function cancelAsDecision(attempt: CancelInput): DecisionInput {
  return {
    questionId: 'cancel',
    optionId: 'cancel',
    person: attempt.person,
    channel: attempt.channel ?? 'cli',
    ...(attempt.reason ? { comment: attempt.reason } : {}),
    ...(attempt.signature ? { signature: attempt.signature } : {}),
  };
}

/** A decision: the validator refuses with a specific reason before anything reaches history. */
export const decide = defineUpdate<DecisionReceipt, [DecisionInput]>('decide');
export const cancel = defineUpdate<RequestStatusView, [CancelInput]>('cancel');
export const status = defineQuery<RequestStatusView>('status');

/** A decision or cancel the workflow refused: `conflict` when the question or request is closed or the vote given, `forbidden` otherwise. */
export type RefusalKind = 'forbidden' | 'conflict';
export const REFUSAL_FAILURE_TYPE: Record<RefusalKind, string> = {
  forbidden: 'RefusedForbidden',
  conflict: 'RefusedConflict',
};

export interface WorkflowRefusal {
  /** `control`: a rollout's pause, resume, skip, retry or abort (workflows/rollout.ts). */
  action: 'decide' | 'cancel' | 'control';
  requestId: string;
  target: string;
  /** The person, or `unknown` when the decision's signature did not prove them. */
  actor: string;
  channel?: Channel;
  reason: string;
  [detail: string]: unknown;
}

/**
 * A validator cannot run activities, and what it refuses never reaches history: it audits through
 * this sink, which the worker runs before the refusal is answered.
 */
export interface RequestSinks extends Sinks {
  audit: { refused(refusal: WorkflowRefusal): void };
}

/** What the workflow tells people through the approvals channels (the `notify` activity). */
export type NotificationKind =
  | 'phase'
  | 'question'
  | 'reminder'
  | 'rerouted'
  | 'decided'
  | 'expired'
  | 'rejected'
  | 'cancelled'
  | 'completed'
  | 'failed';

export interface Notification {
  kind: NotificationKind;
  requestId: string;
  /** Person ids to reach (the activity maps them to Slack ids and emails from the policy file). */
  recipients: string[];
  questionId?: string;
  /** One line, no secrets. */
  summary: string;
  /** Where the request was when it told (references and deltas: the notifier reads the rest by the `status` Query). */
  phase?: Phase;
  state?: RequestState;
  /** The question told about, as it stood then (the channels read its text from the view). */
  question?: QuestionDelta;
  /** The whole status view: histories from before notifications carried references only. */
  status?: RequestStatusView;
}

/**
 * What a request's run returns: how it ended and what it made, without its questions and timeline
 * (the `status` Query has them, also once the run has closed). Older runs returned the whole view.
 */
export type RequestResult = Pick<
  RequestStatusView,
  'requestId' | 'kind' | 'title' | 'target' | 'environment' | 'requester' | 'state' | 'phase' | 'artifacts' | 'outcome'
>;

/** A question's counters when it was told about: enough to tell one notification about it from the next. */
export interface QuestionDelta {
  id: string;
  state: QuestionView['state'];
  raisedAt: string;
  remindersSent: number;
  votes: number;
}

/** A notification with the request's status view, as the channels deliver it. */
export type StatusNotification = Notification & { status: RequestStatusView };
