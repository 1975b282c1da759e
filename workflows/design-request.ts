import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  currentUpdateInfo,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type {
  ApplyOutcome,
  ApplyStopped,
  AuditBatch,
  AuditInput,
  EscalationSummary,
  RequestActivities,
  ReviewOutcome,
  VerifyOutcome,
} from '../activities/contracts';
import {
  cancel,
  cancelAsDecision,
  decide,
  REFUSAL_FAILURE_TYPE,
  REJECT,
  status,
  type ArtifactRef,
  type CancelInput,
  type DecisionInput,
  type DecisionReceipt,
  type Notification,
  type NotificationKind,
  type Phase,
  type QuestionView,
  type RefusalKind,
  type RequestInput,
  type RequestSinks,
  type RequestResult,
  type RequestState,
  type RequestStatusView,
  type WorkflowRefusal,
} from './design-request-messages';
import { decisionSignatureProblem } from './decision-signature';
import type { SignedApproval } from './rollout-messages';
import { RequestPhase, RequestStatus } from './search-attributes';

const { audit } = proxySinks<RequestSinks>();

/**
 * Activity options per kind of work. Every activity heartbeats, so a killed worker's activity moves to
 * another worker after `heartbeatSeconds` (an input: a minute in production, seconds in tests).
 */
function activitiesFor(request: RequestInput) {
  const heartbeatTimeout = (request.heartbeatSeconds ?? 60) * 1000;
  return {
    phases: proxyActivities<RequestActivities>({
      startToCloseTimeout: '2 hours',
      heartbeatTimeout,
      retry: {
        maximumAttempts: 5,
        nonRetryableErrorTypes: ['SpecError', 'SqlSyntaxError', 'TargetNotFoundError', 'MigrationChecksumError'],
      },
    }),
    // The runner resumes from its history table, so retrying an apply never repeats a step.
    runner: proxyActivities<RequestActivities>({
      startToCloseTimeout: '12 hours',
      heartbeatTimeout,
      retry: {
        maximumAttempts: 10,
        nonRetryableErrorTypes: ['LockContentionError', 'MigrationFailedError', 'MigrationChecksumError'],
      },
    }),
    messengers: proxyActivities<RequestActivities>({
      startToCloseTimeout: '1 minute',
      retry: { maximumAttempts: 20 },
    }),
    // An audit is one short INSERT, a report one render and write: run inside the workflow task, each
    // saves the round trip through the server (schedule, match, complete, a new workflow task) that a
    // decision waited on three times before it showed as done.
    local: proxyLocalActivities<RequestActivities>({
      startToCloseTimeout: '1 minute',
      retry: { maximumAttempts: 20 },
    }),
  };
}
type RequestActivityProxies = ReturnType<typeof activitiesFor>;

/** Re-reviews after drift before giving up: a target that keeps moving needs a person, not a loop. */
const MAX_REVIEW_ROUNDS = 3;

/** One request from kickoff to report: analysis, modeling, review, gates, drift check, apply, verify, report. */
export async function designRequest(request: RequestInput): Promise<RequestResult> {
  const run = new RequestRun(request);
  setHandler(status, () => run.view());
  setHandler(decide, (decision) => run.decide(decision), { validator: (decision) => run.validateDecision(decision) });
  setHandler(cancel, (attempt) => run.cancel(attempt), { validator: (attempt) => run.validateCancel(attempt) });

  const result = await carryOut(request, run).catch(async (error: unknown) => {
    if (error instanceof RequestCancelled) return await run.finish('cancelled', run.outcomeOf('cancelled'));
    if (error instanceof ActivityFailure)
      return await run.finish('failed', `${run.view().phase} failed: ${error.cause?.message ?? error.message}`);
    throw error;
  });
  // A decision that ended the request is still being audited and told: its caller gets its receipt.
  await condition(allHandlersFinished);
  return result;
}

async function carryOut(request: RequestInput, run: RequestRun): Promise<RequestResult> {
  const { phases, runner } = run.activities;
  await run.transition('kickoff', 'running', 'request-created', {
    kind: request.kind,
    title: request.title,
    source: request.source.digest,
    requester: request.requester,
    ...(request.reverts ? { reverts: request.reverts.requestId, reason: request.reverts.reason } : {}),
  });

  // Newer runs check the reviewed schema under the runner's apply lock, and model again on drift.
  const underLock = patched('wf-path-apply-under-lock');
  const design = async () => {
    await run.transition('analysis', 'running');
    const analysis = await run.phase('analysis', () => phases.analyzeTarget(request));
    await run.transition('modeling', 'running');
    const modeling = await run.phase('modeling', () => phases.modelChange({ ...request, analysis }));
    return { analysis, modeling };
  };
  let { analysis, modeling } = await design();

  for (let round = 1; ; round++) {
    if (modeling.steps === 0)
      return await run.finish(
        'completed',
        `nothing to apply: ${request.kind === 'review' ? 'no finding of the analysis has a fix that is a migration (see the analysis report)' : 'the migration has no statements'}`,
      );
    await run.transition('review', 'running');
    const review = await run.phase('review', () => phases.reviewChange({ ...request, modeling, analysis }));
    if (review.errors > 0)
      return await run.finish(
        'failed',
        `review found ${review.errors} error(s) (see the review report); nothing was applied`,
      );

    const verdict = await run.gates(questionsOf(review), round > 1 ? `#${round}` : '');
    if (verdict !== 'approved') return await run.finish(verdict, run.outcomeOf(verdict));

    let reviewed: string;
    let current: string;
    if (underLock) {
      reviewed = analysis.fingerprint;
      await run.transition('apply', 'applying');
      const render = {
        migration: modeling.migration,
        escalations: review.escalations.map((e) => e.escalation),
        choices: run.choices(),
      };
      const outcome = await run.applyOrAsk((decidedBy, stoppedAt, audits) =>
        runner.applyReviewed({
          requestId: request.requestId,
          target: request.target,
          render,
          fingerprint: stoppedAt ?? reviewed,
          decidedBy,
          limits: request.apply,
          ...(request.reverts ? { revert: true } : {}),
          // The activity verifies them with the worker's keys and policy: this input's are the starter's.
          ...(patched('apply-verifies-approvals')
            ? { approvals: run.approvals(), requester: request.requester, environment: request.environment }
            : {}),
          ...(audits ? { audits } : {}),
        }),
      );
      if ('verdict' in outcome) return await run.finish(outcome.verdict, outcome.outcome);
      if (!outcome.drifted) return await run.finish(...verifiedOutcome(request, outcome.applied, outcome.verified));
      current = outcome.current;
    } else {
      reviewed = review.fingerprint;
      await run.transition('drift-check', 'running');
      const drift = await run.phase('drift-check', () =>
        phases.checkDrift({ target: request.target, fingerprint: review.fingerprint }),
      );
      current = drift.current;
      if (!drift.drifted) {
        const chosen = await run.phase('render', () =>
          phases.renderChosenMigration({
            migration: modeling.migration,
            escalations: review.escalations.map((e) => e.escalation),
            choices: run.choices(),
          }),
        );
        await run.transition('apply', 'applying');
        const applied = await run.applyOrAsk((decidedBy) => {
          const input = {
            requestId: request.requestId,
            target: request.target,
            migration: chosen.migration,
            decidedBy,
            limits: request.apply,
          };
          // A revert's downs also mark what they take back undone in the target's history.
          return request.reverts && patched('revert-runner') ? runner.revertChange(input) : runner.applyChange(input);
        });
        if ('verdict' in applied) return await run.finish(applied.verdict, applied.outcome);
        await run.transition('verify', 'applying');
        const verified = await run.phase('verify', () =>
          phases.verifyChange({ target: request.target, migration: chosen.migration }),
        );
        return await run.finish(...verifiedOutcome(request, applied, verified));
      }
    }
    await run.record('drift', { reviewed, current, round });
    if (round >= MAX_REVIEW_ROUNDS)
      return await run.finish(
        'failed',
        `the target's schema moved ${round} times between review and apply; nothing was applied`,
      );
    // The reviewed schema is gone: what to change is worked out again from the target as it is now.
    if (underLock) ({ analysis, modeling } = await design());
  }
}

/** How a request that applied ends: completed when verification found nothing, failed with what it found. */
function verifiedOutcome(
  request: RequestInput,
  applied: ApplyOutcome,
  verified: VerifyOutcome,
): [RequestState, string] {
  if (!verified.ok)
    return ['failed', `applied ${applied.applied} step(s), but verification found: ${verified.problems.join('; ')}`];
  return ['completed', appliedOutcome(request, applied)];
}

type Verdict = 'approved' | 'rejected' | 'expired' | 'cancelled';

/** Thrown between phases once a cancel was accepted; the main line turns it into the report. */
class RequestCancelled extends Error {}

interface Question extends QuestionView {
  summary: EscalationSummary;
  rerouted: boolean;
}

/** The request's state and the rules for changing it; the main line above reads as the flow. */
class RequestRun {
  private phaseNow: Phase = 'kickoff';
  private state: RequestState = 'running';
  private questions: Question[] = [];
  private cancelled?: { person: string; reason?: string };
  /** Each vote as its channel signed it, by question and person: what the apply shows the worker. */
  private readonly signed = new Map<string, SignedApproval>();
  private readonly timeline: RequestStatusView['timeline'] = [];
  private readonly artifacts: Record<string, ArtifactRef>;
  private outcome?: string;
  /**
   * Audit entries and notifications not yet handed to their activities: the main line hands them
   * over in one call each at its next step, so a decision's Update handler only records the vote.
   * Histories from before this called `audit` and `notify` once per entry, in the handler too.
   */
  private readonly batched = patched('wf-speed-batched-telling');
  /**
   * Audit batches and the report by local activities; histories from before ran `auditBatch` and
   * `writeReport` as activities.
   */
  private readonly locally = this.batched && patched('wf-speed-local-audit-report');
  /**
   * The report and the end's audit in one local activity; histories from before ran them as two,
   * each ~10 ms of scheduling on a busy worker between the apply and the request showing done.
   */
  private readonly endsAtOnce = this.locally && patched('wf-speed-end-at-once');
  /** What led to an apply is appended by the apply activity; histories from before audited it first. */
  readonly auditsWithApply = this.endsAtOnce && patched('wf-speed-audit-with-apply');
  private untold: { audits: AuditInput[]; notifications: Notification[] } = { audits: [], notifications: [] };
  /** Notifications on their way: the apply does not wait for them, the request's end does. */
  private readonly telling: Promise<void>[] = [];

  readonly activities: RequestActivityProxies;

  constructor(private readonly request: RequestInput) {
    this.artifacts = { source: request.source };
    this.activities = activitiesFor(request);
  }

  view(): RequestStatusView {
    const { requestId, kind, title, target, environment, requester } = this.request;
    return {
      requestId,
      kind,
      title,
      target,
      environment,
      requester,
      state: this.state,
      phase: this.phaseNow,
      questions: this.questions.map(viewOf),
      timeline: this.timeline,
      artifacts: this.artifacts,
      outcome: this.outcome,
    };
  }

  async transition(
    phase: Phase,
    state: RequestState,
    auditKind = 'phase-started',
    data: Record<string, unknown> = {},
  ): Promise<void> {
    this.phaseNow = phase;
    this.state = state;
    upsertSearchAttributes([
      { key: RequestPhase, value: phase },
      { key: RequestStatus, value: state },
    ]);
    this.timeline.push({ at: new Date().toISOString(), event: `phase ${phase}`, detail: state });
    await this.record(auditKind, { phase, state, ...data });
    await this.tell('phase', [this.request.requester], `${this.request.title}: ${phase}`);
  }

  /**
   * Runs one phase's activity, stops at a cancel, keeps its artifacts and audits it done. An apply's
   * `work` is handed the entries still to audit when the activity appends them itself.
   */
  async phase<T extends object>(name: string, work: (audits?: AuditBatch['entries']) => Promise<T>): Promise<T> {
    if (this.cancelled) throw new RequestCancelled();
    let result: T;
    if (!this.batched) result = await work();
    else if (name === 'apply' && this.auditsWithApply) {
      // An apply changes the target: what led to it (the decisions) is in the log before it starts,
      // appended by the activity before it does anything else.
      const audits = this.takeAudits();
      await this.flush();
      result = await work(audits);
    } else if (name === 'apply') {
      await this.flush();
      result = await work();
    } else {
      // Reading phases run beside the audit of what came before: the log still has it before they end.
      [result] = await Promise.all([work(), this.flush()]);
    }
    const { artifacts, migration, report } = result as {
      artifacts?: Record<string, ArtifactRef>;
      migration?: ArtifactRef;
      report?: ArtifactRef;
    };
    const produced: Record<string, ArtifactRef> = { ...artifacts };
    if (migration) produced[`${name}-migration`] = migration;
    if (report) produced[`${name}-report`] = report;
    Object.assign(this.artifacts, produced);
    await this.record('phase-done', {
      phase: name,
      artifacts: Object.fromEntries(Object.entries(produced).map(([k, v]) => [k, v.digest])),
    });
    if (this.cancelled) throw new RequestCancelled();
    return result;
  }

  /** Asks every question (ids suffixed for a second round) and waits: all decided, one rejected, expiry or cancel. */
  async gates(summaries: EscalationSummary[], suffix: string): Promise<Verdict> {
    const { policy, timings } = this.request;
    const raisedAt = Date.now();
    const expiresAt = raisedAt + timings.expireAfterSeconds * 1000;
    this.questions = summaries.map((summary) => ({
      id: `${summary.id}${suffix}`,
      trigger: summary.trigger,
      problem: summary.problem,
      // Rejecting is always an option; an escalation may offer it itself, with its own words (SW-ESC-PRIVILEGED).
      options: summary.options.some((o) => o.id === REJECT)
        ? summary.options
        : [...summary.options, { id: REJECT, title: 'Reject the request', risk: 'none', blockingSeconds: null }],
      recommendation: summary.recommendation,
      state: 'open',
      votes: [],
      quorum: policy.quorum,
      askedTo: [...policy.approvers],
      raisedAt: new Date(raisedAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      remindersSent: 0,
      escalation: summary.escalation,
      summary,
      rerouted: false,
    }));
    // Awaiting approval only once the questions exist: a status read in between must not see a gate without them.
    await this.transition('gates', 'awaiting-approval');
    for (const question of this.questions) {
      await this.record('question-raised', {
        question: question.id,
        trigger: question.trigger,
        options: question.options.map((o) => o.id),
        askedTo: question.askedTo,
      });
      await this.tell('question', question.askedTo, question.problem, question.id);
    }

    const rerouteAt = raisedAt + timings.rerouteAfterSeconds * 1000;
    let nextReminder = raisedAt + timings.remindEverySeconds * 1000;
    for (;;) {
      const settled = () =>
        this.cancelled !== undefined || this.open().length === 0 || this.questions.some((q) => q.state === 'rejected');
      const wakeAt = Math.min(nextReminder, this.questions.some((q) => !q.rerouted) ? rerouteAt : Infinity, expiresAt);
      if (!this.batched) {
        if (await condition(settled, Math.max(wakeAt - Date.now(), 1))) break;
      } else {
        // A vote wakes the main line to audit and tell it; the vote that settles the gate goes with the next step's.
        const woke = await condition(() => settled() || this.hasUntold(), Math.max(wakeAt - Date.now(), 1));
        if (woke && settled()) break;
        await this.flush();
        if (woke) continue;
      }
      const now = Date.now();
      if (now >= expiresAt) {
        for (const question of this.open()) question.state = 'expired';
        await this.record('expired', {
          questions: this.questions.filter((q) => q.state === 'expired').map((q) => q.id),
        });
        return 'expired';
      }
      if (now >= rerouteAt) await this.reroute();
      if (now >= nextReminder) {
        await this.remind();
        nextReminder += timings.remindEverySeconds * 1000;
      }
    }
    if (this.cancelled) return 'cancelled';
    return this.questions.some((q) => q.state === 'rejected') ? 'rejected' : 'approved';
  }

  /**
   * Applies; when the runner stops for something a person must weigh (a lock another session holds,
   * a failed step), asks the approvers with the evidence whether to apply again, and does as they say.
   */
  async applyOrAsk<T extends object>(
    apply: (decidedBy: string[], stoppedAt?: string, audits?: AuditBatch['entries']) => Promise<T>,
  ): Promise<T | { verdict: Exclude<Verdict, 'approved'>; outcome: string }> {
    const decidedBy = this.deciders();
    // The target's fingerprint when the last attempt stopped: the retry checks nothing moved since.
    let stoppedAt: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.phase('apply', (audits) => apply(decidedBy, stoppedAt, audits));
      } catch (error) {
        const stopped = applyStoppedBy(error);
        if (!stopped) throw error;
        await this.record('apply-stopped', {
          error: stopped.type,
          step: stopped.details.step,
          message: stopped.message,
          evidence: stopped.details.evidence.digest,
        });
        stoppedAt = stopped.details.fingerprint;
        const verdict = await this.gates([applyQuestion(stopped)], attempt > 1 ? `#${attempt}` : '');
        if (verdict !== 'approved')
          return { verdict, outcome: this.outcomeOf(verdict, `the apply had stopped: ${stopped.message}`) };
        decidedBy.push(...this.deciders().filter((person) => !decidedBy.includes(person)));
        await this.transition('apply', 'applying');
      }
    }
  }

  validateDecision(decision: DecisionInput): void {
    this.authenticate(decision);
    const { policy, requester, target, environment } = this.request;
    const attempt = {
      action: 'decide',
      actor: decision.person,
      channel: decision.channel,
      question: decision.questionId,
      option: decision.optionId,
      ...(decision.comment ? { comment: decision.comment } : {}),
    } as const;
    const refuse = (kind: RefusalKind, reason: string) => this.refuse(attempt, kind, reason);
    const question = this.questions.find((q) => q.id === decision.questionId);
    if (this.phaseNow !== 'gates' || this.state !== 'awaiting-approval') {
      refuse(
        'conflict',
        `request ${this.request.requestId} is not waiting for decisions (it is ${this.state}, phase ${this.phaseNow})`,
      );
    }
    if (!question) {
      return refuse(
        'forbidden',
        `request ${this.request.requestId} has no question '${decision.questionId}'; open questions: ${
          this.open()
            .map((q) => q.id)
            .join(', ') || 'none'
        }`,
      );
    }
    if (!question.options.some((o) => o.id === decision.optionId)) {
      refuse(
        'forbidden',
        `question '${question.id}' has no option '${decision.optionId}'; choose one of: ${question.options.map((o) => o.id).join(', ')}`,
      );
    }
    if (question.state !== 'open') {
      refuse(
        'conflict',
        `question '${question.id}' was already ${question.state}${question.chosenOptionId ? ` (${question.chosenOptionId})` : ''}`,
      );
    }
    if (Date.now() >= Date.parse(question.expiresAt)) {
      refuse('conflict', `question '${question.id}' expired at ${question.expiresAt}; nothing will be applied`);
    }
    if (policy.separationOfDuties && decision.person === requester) {
      refuse('forbidden', `${decision.person} requested this change and may not decide it (separation of duties)`);
    }
    if (!question.askedTo.includes(decision.person) && !policy.admins.includes(decision.person)) {
      refuse(
        'forbidden',
        `${decision.person} is not an approver for ${target}/${environment}; approvers: ${question.askedTo.join(', ')}`,
      );
    }
    if (question.votes.some((vote) => vote.person === decision.person)) {
      refuse(
        'conflict',
        `${decision.person} already chose on '${question.id}'; the quorum of ${question.quorum} needs distinct approvers`,
      );
    }
    const againstRecommendation = decision.optionId !== question.recommendation.optionId;
    if (againstRecommendation && !decision.comment?.trim()) {
      refuse(
        'forbidden',
        `a comment is required to ${decision.optionId === REJECT ? 'reject' : 'choose against the recommendation'}: say why`,
      );
    }
  }

  /**
   * Only a decision signed by the channel that authenticated the person counts: whoever reaches the
   * Temporal frontend can send an Update, but holds no channel's private key. Until the signature
   * holds, the person is only claimed, so the refusal names no actor.
   */
  private authenticate(decision: DecisionInput): void {
    const { decisionKeys, requestId } = this.request;
    const problem = decisionSignatureProblem(
      decisionKeys,
      requestId,
      currentUpdateInfo()?.id ?? '',
      decision,
      Date.now(),
    );
    if (problem) {
      this.refuse(
        {
          action: 'decide',
          actor: 'unknown',
          claimedPerson: decision.person,
          claimedChannel: decision.channel,
          question: decision.questionId,
          option: decision.optionId,
        },
        'forbidden',
        problem,
      );
    }
  }

  /** Audits the refusal (through the sink: a validator cannot run activities) and refuses with the reason. */
  private refuse(
    attempt: Pick<WorkflowRefusal, 'action' | 'actor' | 'channel'> & Record<string, unknown>,
    kind: RefusalKind,
    reason: string,
  ): never {
    audit.refused({
      ...attempt,
      update: currentUpdateInfo()?.id,
      requestId: this.request.requestId,
      target: this.request.target,
      reason,
    });
    throw ApplicationFailure.create({ type: REFUSAL_FAILURE_TYPE[kind], message: reason, nonRetryable: true });
  }

  async decide(decision: DecisionInput): Promise<DecisionReceipt> {
    const question = this.questions.find((q) => q.id === decision.questionId)!;
    this.signed.set(`${question.id}\n${decision.person}`, { decision, updateId: currentUpdateInfo()?.id ?? '' });
    question.votes.push({
      person: decision.person,
      optionId: decision.optionId,
      channel: decision.channel,
      comment: decision.comment,
      at: new Date().toISOString(),
    });
    const sameChoice = question.votes.filter((vote) => vote.optionId === decision.optionId).length;
    if (decision.optionId === REJECT) {
      question.state = 'rejected';
      question.chosenOptionId = REJECT;
    } else if (sameChoice >= question.quorum) {
      question.state = 'decided';
      question.chosenOptionId = decision.optionId;
    }
    // Read now: by the time this vote is audited and told, later votes may have closed the question.
    const receipt: DecisionReceipt = {
      questionId: question.id,
      optionId: decision.optionId,
      person: decision.person,
      questionState: question.state,
      votes: sameChoice,
      quorum: question.quorum,
      comment: decision.comment,
    };
    this.timeline.push({
      at: new Date().toISOString(),
      event: `decision on ${question.id}`,
      detail: `${decision.person} chose ${decision.optionId} via ${decision.channel}`,
    });
    await this.record(
      'decision',
      { question: question.id, option: decision.optionId, comment: decision.comment, questionState: question.state },
      decision.person,
      decision.channel,
    );
    await this.tell(
      'decided',
      uniq([this.request.requester, ...question.askedTo]),
      `${decision.person} chose ${decision.optionId} on ${question.id}`,
      question.id,
    );
    return receipt;
  }

  validateCancel(attempt: CancelInput): void {
    const { decisionKeys, requestId } = this.request;
    // Signed like a decision, so a cancel sent straight to Temporal cannot claim the requester. A request
    // started before signing takes no decision at all, so its unsigned cancel stops what could never apply.
    const forged =
      decisionKeys &&
      decisionSignatureProblem(
        decisionKeys,
        requestId,
        currentUpdateInfo()?.id ?? '',
        cancelAsDecision(attempt),
        Date.now(),
      );
    if (forged) this.refuse({ action: 'cancel', actor: 'unknown', claimedPerson: attempt.person }, 'forbidden', forged);
    const refuse = (kind: RefusalKind, reason: string) =>
      this.refuse({ action: 'cancel', actor: attempt.person }, kind, reason);
    if (['completed', 'rejected', 'expired', 'cancelled', 'failed'].includes(this.state)) {
      refuse('conflict', `request ${this.request.requestId} has already ended (${this.state})`);
    }
    if (this.state === 'applying')
      refuse('conflict', `request ${this.request.requestId} is applying its migration and can no longer be cancelled`);
    if (attempt.person !== this.request.requester && !this.request.policy.admins.includes(attempt.person)) {
      refuse(
        'forbidden',
        `${attempt.person} may not cancel this request: only the requester (${this.request.requester}) or an admin may`,
      );
    }
  }

  async cancel(attempt: { person: string; reason?: string }): Promise<RequestStatusView> {
    this.cancelled = attempt;
    this.timeline.push({ at: new Date().toISOString(), event: 'cancel requested', detail: attempt.person });
    return this.view();
  }

  choices(): Record<string, string> {
    return Object.fromEntries(
      this.questions.filter((q) => q.chosenOptionId).map((q) => [q.summary.id, q.chosenOptionId!]),
    );
  }

  /** The signed votes that decided the current questions: their approvals, for the apply to verify. */
  approvals(): SignedApproval[] {
    return this.questions.flatMap((q) =>
      q.votes
        .filter((vote) => vote.optionId === q.chosenOptionId)
        .map((vote) => this.signed.get(`${q.id}\n${vote.person}`))
        .filter((approval) => approval !== undefined),
    );
  }

  deciders(): string[] {
    return uniq(this.questions.flatMap((q) => q.votes.map((vote) => vote.person)));
  }

  /** Who ended the request and why, then what that left: nothing applied, unless the apply had begun. */
  outcomeOf(verdict: Exclude<Verdict, 'approved'>, consequence = 'nothing was applied'): string {
    if (verdict === 'cancelled')
      return `cancelled by ${this.cancelled?.person}${this.cancelled?.reason ? `: ${this.cancelled.reason}` : ''}; ${consequence}`;
    if (verdict === 'rejected') {
      const rejection = this.questions.flatMap((q) => q.votes).find((vote) => vote.optionId === REJECT);
      return `rejected by ${rejection?.person}${rejection?.comment ? `: ${rejection.comment}` : ''}; ${consequence}`;
    }
    return `no decision before ${this.questions[0]?.expiresAt}; expired, ${consequence}`;
  }

  async finish(state: RequestState, outcome: string): Promise<RequestResult> {
    this.outcome = outcome;
    this.phaseNow = 'report';
    // The report activity reads the view by Query: the request waits for it, so it reads what this
    // would pass. A local activity runs inside the workflow task, which a Query would wait behind, so
    // it is given the view; a local activity's input is not kept in the history.
    const { local, messengers } = this.activities;
    const { requestId, target } = this.request;
    const end = {
      kind: state === 'failed' ? 'failure' : state,
      actor: state === 'cancelled' ? this.cancelled?.person : undefined,
    };
    // Audited before the request shows as done: whoever sees it done finds its whole story in the log.
    if (this.endsAtOnce) {
      this.artifacts.report = await local.endRequest({
        requestId,
        target,
        status: this.view(),
        state,
        entries: this.takeAudits(),
        end: { ...end, data: { outcome } },
      });
    } else {
      const report = await (this.locally ? local : messengers).writeReport({
        requestId,
        ...(this.batched && !this.locally ? {} : { status: this.view() }),
        state,
      });
      this.artifacts.report = report;
      await this.record(end.kind, { outcome, report: report.digest }, end.actor);
      if (this.batched) await this.flush();
    }
    this.phaseNow = 'done';
    this.state = state;
    upsertSearchAttributes([
      { key: RequestPhase, value: 'done' },
      { key: RequestStatus, value: state },
    ]);
    this.timeline.push({ at: new Date().toISOString(), event: state, detail: outcome });
    const everyone = uniq([this.request.requester, ...this.questions.flatMap((q) => q.askedTo)]);
    await this.tell(state as NotificationKind, everyone, `${this.request.title}: ${outcome}`);
    if (!this.batched) return this.view();
    await this.flush();
    await Promise.all(this.telling);
    const { questions: _questions, timeline: _timeline, ...result } = this.view();
    return result;
  }

  async record(
    kind: string,
    data: Record<string, unknown>,
    actor?: string,
    channel?: DecisionInput['channel'],
  ): Promise<void> {
    const entry: AuditInput = {
      kind,
      requestId: this.request.requestId,
      target: this.request.target,
      actor,
      channel,
      data,
    };
    if (this.batched) this.untold.audits.push(entry);
    else await this.activities.messengers.audit(entry);
  }

  /** Audits what waits to be audited (awaited: the log leads what it records), then starts telling what waits to be told. */
  private async flush(): Promise<void> {
    const entries = this.takeAudits();
    const { notifications } = this.untold;
    this.untold.notifications = [];
    if (entries.length) {
      const { requestId, target } = this.request;
      const { local, messengers } = this.activities;
      await (this.locally ? local : messengers).auditBatch({ requestId, target, entries });
    }
    if (notifications.length) {
      const told = this.activities.messengers.notifyBatch(notifications);
      // Awaited at the end; until then a failure must not count as unhandled.
      told.catch(() => undefined);
      this.telling.push(told);
    }
  }

  /** The entries waiting to be audited, handed over (without what the batch says once for all). */
  private takeAudits(): AuditBatch['entries'] {
    const { audits } = this.untold;
    this.untold.audits = [];
    return audits.map(({ requestId: _id, target: _target, ...entry }) => entry);
  }

  private hasUntold(): boolean {
    return this.untold.audits.length > 0 || this.untold.notifications.length > 0;
  }

  private open(): Question[] {
    return this.questions.filter((q) => q.state === 'open');
  }

  private async reroute(): Promise<void> {
    const backups = this.request.policy.backupApprovers;
    for (const question of this.open().filter((q) => !q.rerouted)) {
      question.rerouted = true;
      question.askedTo = uniq([...question.askedTo, ...backups]);
      await this.record('rerouted', { question: question.id, to: backups });
      if (backups.length) await this.tell('rerouted', backups, question.problem, question.id);
    }
  }

  private async remind(): Promise<void> {
    for (const question of this.open()) {
      question.remindersSent++;
      const waitingOn = question.askedTo.filter((person) => !question.votes.some((vote) => vote.person === person));
      await this.record('reminder', { question: question.id, count: question.remindersSent, to: waitingOn });
      await this.tell('reminder', waitingOn, question.problem, question.id);
    }
  }

  private async tell(
    kind: NotificationKind,
    recipients: string[],
    summary: string,
    questionId?: string,
  ): Promise<void> {
    const told = { kind, requestId: this.request.requestId, recipients, questionId, summary };
    if (!this.batched) {
      await this.activities.messengers.notify({ ...told, status: this.view() });
      return;
    }
    // The whole view in every notification made histories of hundreds of KB: only what changed goes,
    // and a question's text, which the channels read from the view, is named by its id.
    const question = this.questions.find((q) => q.id === questionId);
    this.untold.notifications.push({
      ...told,
      summary: question && summary === question.problem ? `question ${question.id}` : summary,
      phase: this.phaseNow,
      state: this.state,
      ...(question
        ? {
            question: {
              id: question.id,
              state: question.state,
              raisedAt: question.raisedAt,
              remindersSent: question.remindersSent,
              votes: question.votes.length,
            },
          }
        : {}),
    });
  }
}

/**
 * Escalations become questions. With none, one approval is still asked: policy may let a low-risk
 * change pass with one approver, never with none.
 */
function questionsOf(review: ReviewOutcome): EscalationSummary[] {
  if (review.escalations.length > 0) return review.escalations;
  return [
    {
      id: 'approve',
      trigger: 'SW-APPROVAL',
      problem: 'Review raised no escalation. Apply the reviewed migration?',
      options: [{ id: 'apply', title: 'Apply the reviewed migration', risk: 'low', blockingSeconds: null }],
      recommendation: { optionId: 'apply', reason: 'no finding called for a person to choose between alternatives' },
      escalation: review.report,
    },
  ];
}

interface StoppedApply {
  type: 'LockContentionError' | 'MigrationFailedError';
  message: string;
  details: ApplyStopped;
}

function applyStoppedBy(error: unknown): StoppedApply | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (
    !(cause instanceof ApplicationFailure) ||
    (cause.type !== 'LockContentionError' && cause.type !== 'MigrationFailedError')
  )
    return undefined;
  return { type: cause.type, message: cause.message, details: cause.details?.[0] as ApplyStopped };
}

/** The question an apply that stopped puts to the approvers: apply again once the cause is gone, or give up. */
function applyQuestion(stopped: StoppedApply): EscalationSummary {
  const lock = stopped.type === 'LockContentionError';
  return {
    id: 'apply-stopped',
    trigger: lock ? 'SW-APPLY-LOCK-CONTENTION' : 'SW-APPLY-FAILED',
    problem: stopped.message,
    options: [
      {
        id: 'retry',
        title: 'Apply again: applied steps are skipped, the stopped step runs again',
        risk: lock ? 'low' : 'medium',
        blockingSeconds: null,
      },
    ],
    recommendation: {
      optionId: 'retry',
      reason: lock
        ? 'another session holds the lock; once it commits or is ended, the step can run'
        : 'once what the database reported is fixed, the remaining steps can run',
    },
    escalation: stopped.details.evidence,
  };
}

/** What a completed apply did; a revert names the request it took back. */
function appliedOutcome(request: RequestInput, applied: ApplyOutcome): string {
  const done = `${applied.applied} of ${applied.steps} step(s) in ${applied.durationMs} ms; verified`;
  return request.reverts ? `reverted request ${request.reverts.requestId}: ran ${done}` : `applied ${done}`;
}

/** A question as people see it: without the escalation's summary it was made from, or whether it was re-routed. */
function viewOf({ summary: _summary, rerouted: _rerouted, ...question }: Question): QuestionView {
  return question;
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}
