import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  currentUpdateInfo,
  executeChild,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditInput, EscalationSummary, RequestActivities } from '../activities/contracts';
import type { RolloutActivities } from '../activities/rollout/activity';
import { decisionSignatureProblem } from './decision-signature';
import {
  REFUSAL_FAILURE_TYPE,
  REJECT,
  type DecisionInput,
  type DecisionReceipt,
  type QuestionView,
  type RefusalKind,
  type RequestSinks,
  type WorkflowRefusal,
} from './design-request-messages';
import {
  APPROVE,
  approvalQuestionId,
  rolloutControl,
  rolloutDecide,
  rolloutStatus,
  targetRequestId,
  targetWorkflowId,
  toldStatus,
  type ControlAction,
  type ControlInput,
  type ReviewView,
  type RolloutInput,
  type RolloutNotification,
  type RolloutStage,
  type RolloutState,
  type RolloutStatusView,
  type RolloutTargetInput,
  type RolloutTargetResult,
  type SignedApproval,
  type TargetView,
} from './rollout-messages';
import {
  RequestEnvironment,
  RequestKind,
  RequestStatus,
  RequestTarget,
  RolloutId,
  RolloutStage as StageAttribute,
} from './search-attributes';

const { audit } = proxySinks<RequestSinks>();

/** Re-reviews of one drifted target before it counts as failed: a target that keeps moving needs a person. */
const MAX_TARGET_REVIEWS = 3;

function activitiesFor(heartbeatSeconds = 60) {
  const heartbeatTimeout = heartbeatSeconds * 1000;
  return {
    phases: proxyActivities<RequestActivities & RolloutActivities>({
      startToCloseTimeout: '2 hours',
      heartbeatTimeout,
      retry: {
        maximumAttempts: 5,
        nonRetryableErrorTypes: ['SpecError', 'SqlSyntaxError', 'TargetNotFoundError', 'MigrationChecksumError'],
      },
    }),
    // The runner resumes from its history table, so retrying an apply never repeats a step.
    runner: proxyActivities<RolloutActivities>({
      startToCloseTimeout: '12 hours',
      heartbeatTimeout,
      retry: {
        maximumAttempts: 10,
        nonRetryableErrorTypes: [
          'RolloutNotApprovedError',
          'TargetNotFoundError',
          'LockContentionError',
          'MigrationFailedError',
          'MigrationChecksumError',
        ],
      },
    }),
    messengers: proxyActivities<RequestActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 20 } }),
    tellers: proxyActivities<RolloutActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } }),
  };
}

/**
 * One target of a rollout, as a request of its own: audited under its own request id, applied by
 * the same runner under the target's lock with the reviewed fingerprint checked, but only once the
 * apply activity has verified the approvals it was given (activities/rollout/approvals.ts).
 */
export async function rolloutTarget(input: RolloutTargetInput): Promise<RolloutTargetResult> {
  const { runner, messengers } = activitiesFor(input.heartbeatSeconds);
  const requestId = targetRequestId(input.rolloutId, input.target);
  const told = (kind: string, data: Record<string, unknown>) =>
    messengers.auditBatch({ requestId, target: input.target, entries: [{ kind, data }] });
  await told('request-created', {
    rollout: input.rolloutId,
    environment: input.environment,
    migration: input.migration.digest,
    fingerprint: input.fingerprint,
    approvedBy: [...new Set(input.approvals.map((a) => a.decision.person))],
  });
  let result: RolloutTargetResult;
  try {
    const outcome = await runner.applyRolloutTarget(input);
    if (outcome.drifted) result = { outcome: 'drifted', current: outcome.current };
    else if (!outcome.verified.ok)
      result = {
        outcome: 'failed',
        error: `applied ${outcome.applied.applied} step(s), but verification found: ${outcome.verified.problems.join('; ')}`,
      };
    else
      result = {
        outcome: 'applied',
        applied: outcome.applied.applied,
        steps: outcome.applied.steps,
        durationMs: outcome.applied.durationMs,
      };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    result = { outcome: 'failed', error: error.cause?.message ?? error.message };
  }
  await told(result.outcome === 'applied' ? 'completed' : result.outcome === 'drifted' ? 'drift' : 'failure', result);
  return result;
}

/**
 * One change promoted through a group's stages: reviewed once per distinct schema, approved per
 * stage by that stage's approvers, then applied in waves by one child per target.
 */
export async function rollout(input: RolloutInput): Promise<Omit<RolloutStatusView, 'questions'>> {
  const run = new RolloutRun(input);
  setHandler(rolloutStatus, () => run.view());
  setHandler(rolloutDecide, (decision) => run.decide(decision), {
    validator: (decision) => run.validateDecision(decision),
  });
  setHandler(rolloutControl, (control) => run.control(control), {
    validator: (control) => run.validateControl(control),
  });
  const result = await carryOut(input, run).catch(async (error: unknown) => {
    if (error instanceof ActivityFailure)
      return await run.finish('failed', `${error.cause?.message ?? error.message}; what was applied is in the grid`);
    throw error;
  });
  await condition(allHandlersFinished);
  return result;
}

async function carryOut(input: RolloutInput, run: RolloutRun): Promise<Omit<RolloutStatusView, 'questions'>> {
  const from = input.carried;
  if (!from)
    await run.record('rollout-created', {
      title: input.title,
      group: input.group,
      source: input.source.digest,
      requester: input.requester,
      stages: input.stages.map((stage) => ({
        environment: stage.environment,
        targets: stage.targets,
        waves: stage.waves.length,
      })),
    });
  const problem = from ? undefined : await run.reviewAll();
  if (problem) return await run.finish('failed', problem);

  for (let index = from?.stage ?? 0; index < input.stages.length; index++) {
    const stage = input.stages[index]!;
    // A run continued from another goes on in the stage that run had approved.
    const resumed = from !== undefined && index === from.stage;
    if (!resumed) {
      const verdict = await run.approve(stage, run.reviewsOf(stage.targets), `stage ${stage.environment}`);
      if (verdict !== 'approved') return await run.finish(verdict, run.endedBy(verdict, stage.environment));
    }
    for (let wave = resumed ? from.wave : 0; wave < stage.waves.length; wave++) {
      if (wave > 0 && stage.pauseSeconds > 0)
        await condition(() => run.aborted !== undefined, stage.pauseSeconds * 1000);
      const next = await run.wave(stage, wave);
      await run.tell('wave');
      if (next === 'aborted') return await run.finish('aborted', run.endedBy('aborted'));
      if (next === 'next-run' || (run.historyLong() && wave + 1 < stage.waves.length))
        return await run.continueInNewRun(index, next === 'next-run' ? wave : wave + 1);
    }
  }
  return await run.finish('completed', run.summary());
}

type Verdict = 'approved' | 'rejected' | 'expired' | 'aborted';

interface Question extends QuestionView {
  approvals: SignedApproval[];
}

/** The rollout's state and the rules for changing it. */
class RolloutRun {
  private state: RolloutState = 'running';
  private paused = false;
  aborted?: { person: string; comment?: string };
  private current?: RolloutStatusView['current'];
  private readonly targets = new Map<string, TargetView & { attempts: number }>();
  private readonly reviews = new Map<string, ReviewView>();
  private questions: Question[] = [];
  private outcome?: string;
  private untold: AuditInput[] = [];
  private readonly activities: ReturnType<typeof activitiesFor>;
  /** Runs started before rollouts had search attributes set none, so that their histories replay. */
  private readonly searchable = patched('rollout-search-attributes');
  private published = '';

  constructor(private readonly input: RolloutInput) {
    this.activities = activitiesFor(input.heartbeatSeconds);
    if (input.carried) {
      for (const target of input.carried.targets) this.targets.set(target.name, { ...target });
      for (const review of input.carried.reviews) this.reviews.set(review.fingerprint, review);
      this.questions = input.carried.questions.map((question) => ({ ...question }));
      this.paused = input.carried.paused;
      this.state = this.paused ? 'paused' : 'applying';
      return;
    }
    for (const stage of input.stages)
      stage.waves.forEach((targets, index) => {
        for (const name of targets)
          this.targets.set(name, {
            name,
            environment: stage.environment,
            wave: index + 1,
            state: 'pending',
            attempts: 0,
          });
      });
  }

  view(): RolloutStatusView {
    const { rolloutId, title, group, requester } = this.input;
    return {
      rolloutId,
      title,
      group,
      requester,
      state: this.state,
      paused: this.paused,
      resolved: this.input.targets,
      current: this.current,
      targets: [...this.targets.values()].map(({ attempts: _attempts, ...target }) => target),
      reviews: [...this.reviews.values()],
      questions: this.questions.map(({ approvals: _approvals, ...question }) => question),
      outcome: this.outcome,
    };
  }

  /** Every target's schema read, then one review per distinct schema, made on the first target that has it. */
  async reviewAll(): Promise<string | undefined> {
    const names = [...this.targets.keys()];
    const fingerprints = await this.activities.phases.fingerprintTargets({ targets: names });
    const bySchema = new Map<string, string[]>();
    for (const name of names) bySchema.set(fingerprints[name]!, [...(bySchema.get(fingerprints[name]!) ?? []), name]);
    for (const [, sharing] of bySchema) {
      const review = await this.review(sharing[0]!);
      if (typeof review === 'string') return review;
      for (const name of sharing) this.targets.get(name)!.review = review.fingerprint;
    }
    return undefined;
  }

  /** Analysis, modeling and review of one target, and the migration rendered with the recommended options. */
  async review(target: string): Promise<ReviewView | string> {
    const { phases } = this.activities;
    const { rolloutId: requestId, title, source } = this.input;
    const request = {
      requestId,
      kind: source.format === 'spec' ? ('design' as const) : ('change' as const),
      title,
      target,
      environment: this.targets.get(target)!.environment,
      source,
    };
    const analysis = await phases.analyzeTarget(request);
    const modeling = await phases.modelChange({ ...request, analysis });
    if (modeling.steps === 0)
      return this.reviewed({
        fingerprint: analysis.fingerprint,
        migration: modeling.migration,
        steps: 0,
        escalations: [],
        report: modeling.migration,
        reviewedOn: target,
      });
    const review = await phases.reviewChange({ ...request, modeling, analysis });
    if (review.errors > 0)
      return `review on ${target} found ${review.errors} error(s) (see report ${review.report.digest}); nothing was applied`;
    const rendered = await phases.renderChosenMigration({
      migration: modeling.migration,
      escalations: review.escalations.map((e) => e.escalation),
      choices: Object.fromEntries(review.escalations.map((e) => [e.id, e.recommendation.optionId])),
    });
    return this.reviewed({
      fingerprint: analysis.fingerprint,
      migration: rendered.migration,
      steps: rendered.steps,
      escalations: review.escalations.map((e) => `${e.trigger}: ${e.recommendation.optionId}`),
      report: review.report,
      reviewedOn: target,
    });
  }

  private async reviewed(review: ReviewView): Promise<ReviewView> {
    this.reviews.set(review.fingerprint, review);
    await this.record('reviewed', { ...review, migration: review.migration.digest, report: review.report.digest });
    return review;
  }

  reviewsOf(targets: string[]): ReviewView[] {
    const fingerprints = new Set(targets.map((name) => this.targets.get(name)!.review!));
    return [...fingerprints].map((fingerprint) => this.reviews.get(fingerprint)!).filter((review) => review.steps > 0);
  }

  /** One question per reviewed migration for the stage's approvers; what earlier stages did is in its text. */
  async approve(stage: RolloutStage, reviews: ReviewView[], what: string): Promise<Verdict> {
    if (!reviews.length) return 'approved';
    const raisedAt = Date.now();
    const expiresAt = raisedAt + this.input.timings.expireAfterSeconds * 1000;
    // A migration already asked about for this schema in this stage (another target drifted to the same
    // schema) is not asked again: its question, decided or still open, stands for this one too.
    const idOf = (review: ReviewView) =>
      approvalQuestionId(stage.environment, review.migration.digest, review.fingerprint, this.input.targets.digest);
    const earlier = new Map(this.questions.map((question) => [question.id, question]));
    const asked = reviews.map((review): Question => {
      const known = earlier.get(idOf(review));
      if (known) return known;
      const sharing = stage.targets.filter((name) => this.targets.get(name)!.review === review.fingerprint);
      const summary: EscalationSummary['options'][number] = {
        id: APPROVE,
        title: `Apply to ${sharing.length} target(s) of ${stage.environment}`,
        risk: 'medium',
        blockingSeconds: null,
      };
      return {
        id: idOf(review),
        trigger: 'SW-ROLLOUT-STAGE',
        problem: `${this.input.title}, ${what}: apply migration ${review.migration.digest} (${review.steps} step(s), reviewed on ${review.reviewedOn}${review.escalations.length ? `, options chosen as recommended: ${review.escalations.join(', ')}` : ''}) to ${sharing.length} target(s): ${listed(sharing)}. ${this.earlierStages(stage)}`,
        options: [summary, { id: REJECT, title: 'Reject the rollout', risk: 'none', blockingSeconds: null }],
        recommendation: {
          optionId: APPROVE,
          reason: 'review found no error; the escalations take their recommended options',
        },
        state: 'open',
        votes: [],
        quorum: stage.policy.quorum,
        askedTo: [...stage.policy.approvers],
        raisedAt: new Date(raisedAt).toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        remindersSent: 0,
        escalation: review.report,
        approvals: [],
      };
    });
    const fresh = asked.filter((question) => !earlier.has(question.id));
    this.questions.push(...fresh);
    this.state = 'awaiting-approval';
    for (const question of fresh)
      await this.record('question-raised', {
        question: question.id,
        askedTo: question.askedTo,
        stage: stage.environment,
      });
    await this.flush();
    for (const question of fresh) await this.tell('question', question);
    const settled = () =>
      this.aborted !== undefined || asked.every((q) => q.state !== 'open') || asked.some((q) => q.state === 'rejected');
    for (;;) {
      const woke = await condition(() => settled() || this.untold.length > 0, Math.max(expiresAt - Date.now(), 1));
      await this.flush();
      if (!woke) {
        for (const question of asked.filter((q) => q.state === 'open')) question.state = 'expired';
        await this.tellSettled(fresh);
        return 'expired';
      }
      if (settled()) break;
    }
    await this.tellSettled(fresh);
    if (this.aborted) return 'aborted';
    if (asked.some((q) => q.state === 'rejected')) return 'rejected';
    this.state = 'applying';
    await this.record('stage-approved', { stage: stage.environment, questions: asked.map((q) => q.id) });
    return 'approved';
  }

  private earlierStages(stage: RolloutStage): string {
    const earlier = this.input.stages.slice(0, this.input.stages.indexOf(stage));
    if (!earlier.length) return 'This is the first stage.';
    return `Earlier stages: ${earlier.map((s) => `${s.environment}: ${this.counts(s.targets)}`).join('; ')}.`;
  }

  private counts(targets: string[]): string {
    const by = new Map<string, number>();
    for (const name of targets) {
      const state = this.targets.get(name)!.state;
      by.set(state, (by.get(state) ?? 0) + 1);
    }
    return [...by].map(([state, n]) => `${n} ${state}`).join(', ');
  }

  /**
   * One wave: its targets (and any a person asked to retry) applied, some at once; more failures than
   * the stage allows stop it and ask whether to skip them, retry them or abort the rest.
   */
  async wave(stage: RolloutStage, index: number): Promise<'continue' | 'aborted' | 'next-run'> {
    this.current = { environment: stage.environment, wave: index + 1, waves: stage.waves.length };
    await this.record('wave-started', {
      stage: stage.environment,
      wave: index + 1,
      targets: stage.waves[index]!.length,
    });
    await this.flush();
    const inWave = stage.waves.slice(0, index + 1).flat();
    for (;;) {
      await this.applyPending(stage, inWave);
      if (this.aborted) return this.abortRest();
      // The history grew long before the wave's targets all started: a new run starts the rest.
      if (inWave.some((name) => this.targets.get(name)!.state === 'pending')) return 'next-run';
      const failed = inWave.filter((name) => this.targets.get(name)!.state === 'failed');
      await this.record('wave-done', {
        stage: stage.environment,
        wave: index + 1,
        counts: this.counts(inWave),
        failed,
      });
      if (failed.length <= stage.maxFailures) return 'continue';
      const choice = await this.askAboutFailures(stage, index, failed);
      if (choice === 'skip') for (const name of failed) this.setTarget(name, 'skipped');
      else if (choice === 'retry') for (const name of failed) this.setTarget(name, 'pending');
      else {
        this.aborted ??= { person: choice.person, comment: choice.comment };
        return this.abortRest();
      }
    }
  }

  private async askAboutFailures(
    stage: RolloutStage,
    index: number,
    failed: string[],
  ): Promise<'skip' | 'retry' | { person: string; comment?: string }> {
    // Counted from the questions, which a continued run carries: an id is never asked twice.
    const prefix = `wave:${stage.environment}:${index + 1}:`;
    const round = this.questions.filter((q) => q.id.startsWith(prefix)).length + 1;
    const raisedAt = Date.now();
    const expiresAt = raisedAt + this.input.timings.expireAfterSeconds * 1000;
    const details = failed.map((name) => `${name} (${this.targets.get(name)!.detail ?? 'failed'})`);
    const question: Question = {
      id: `wave:${stage.environment}:${index + 1}:${round}`,
      trigger: 'SW-ROLLOUT-WAVE-FAILED',
      problem: `Wave ${index + 1} of ${stage.environment} stopped: ${failed.length} target(s) failed, more than the ${stage.maxFailures} allowed: ${details.join('; ')}. Skip them and continue, retry them, or abort the rest?`,
      options: [
        { id: 'skip', title: 'Skip the failed targets and continue', risk: 'medium', blockingSeconds: null },
        { id: 'retry', title: 'Retry the failed targets', risk: 'low', blockingSeconds: null },
        { id: 'abort', title: 'Abort the rest of the rollout', risk: 'none', blockingSeconds: null },
      ],
      recommendation: { optionId: 'abort', reason: 'nothing more is applied until someone has looked at the failures' },
      state: 'open',
      votes: [],
      quorum: 1,
      askedTo: [...stage.policy.approvers],
      raisedAt: new Date(raisedAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      remindersSent: 0,
      escalation: this.reviewsOf(failed)[0]?.report ?? this.input.source,
      approvals: [],
    };
    this.questions.push(question);
    this.state = 'awaiting-approval';
    await this.record('question-raised', { question: question.id, askedTo: question.askedTo, failed });
    await this.flush();
    await this.tell('question', question);
    for (;;) {
      const woke = await condition(
        () => question.state !== 'open' || this.aborted !== undefined || this.untold.length > 0,
        Math.max(expiresAt - Date.now(), 1),
      );
      await this.flush();
      if (!woke) question.state = 'expired';
      if (question.state !== 'open' || this.aborted) break;
    }
    await this.tellSettled([question]);
    this.state = 'applying';
    const chosen = question.chosenOptionId;
    if (chosen === 'skip' || chosen === 'retry') return chosen;
    const vote = question.votes.find((v) => v.optionId === chosen);
    return (
      this.aborted ?? {
        person: vote?.person ?? 'nobody',
        comment: vote?.comment ?? `no decision before ${question.expiresAt}`,
      }
    );
  }

  /** The stage's pending targets among `targets`, a few at a time; none starts while paused or once aborted. */
  private async applyPending(stage: RolloutStage, targets: string[]): Promise<void> {
    const pending = targets.filter((name) => this.targets.get(name)!.state === 'pending');
    let next = 0;
    const lane = async () => {
      while (next < pending.length && !this.historyLong()) {
        const name = pending[next++]!;
        await condition(() => !this.paused || this.aborted !== undefined);
        if (this.aborted) return;
        // Skipped by a person while it waited its turn.
        if (this.targets.get(name)!.state === 'pending') await this.applyTarget(stage, name);
      }
    };
    await Promise.all(Array.from({ length: this.input.concurrency ?? 10 }, lane));
    await this.flush();
  }

  /** One target's child; a target whose schema moved since its review is reviewed again alone, and asked about alone. */
  private async applyTarget(stage: RolloutStage, name: string): Promise<void> {
    const target = this.targets.get(name)!;
    for (let reviews = 1; ; reviews++) {
      const review = this.reviews.get(target.review!)!;
      if (review.steps === 0)
        return this.setTarget(name, 'unchanged', 'nothing to apply: the target already has the change');
      const approvals = this.questions.find(
        (q) =>
          q.id ===
          approvalQuestionId(stage.environment, review.migration.digest, review.fingerprint, this.input.targets.digest),
      )!.approvals;
      this.setTarget(name, 'applying');
      target.attempts++;
      const result = await executeChild(rolloutTarget, {
        workflowId: targetWorkflowId(this.input.rolloutId, name, target.attempts),
        ...(this.searchable ? { typedSearchAttributes: this.childAttributes(stage, name) } : {}),
        args: [
          {
            rolloutId: this.input.rolloutId,
            environment: stage.environment,
            target: name,
            fingerprint: review.fingerprint,
            migration: review.migration,
            targets: this.input.targets,
            approvals,
            heartbeatSeconds: this.input.heartbeatSeconds,
            apply: this.input.apply,
          },
        ],
      }).catch((error: unknown): RolloutTargetResult => {
        if (error instanceof ChildWorkflowFailure)
          return { outcome: 'failed', error: error.cause?.message ?? error.message };
        throw error;
      });
      await this.record('target-done', { target: name, attempt: target.attempts, ...result }, undefined, name);
      if (result.outcome === 'applied')
        return this.setTarget(
          name,
          'applied',
          `${result.applied} of ${result.steps} step(s) in ${result.durationMs} ms`,
        );
      if (result.outcome === 'failed') return this.setTarget(name, 'failed', result.error);
      this.setTarget(name, 'drifted', `its schema is ${result.current}, not the one reviewed; reviewed again alone`);
      if (reviews >= MAX_TARGET_REVIEWS)
        return this.setTarget(name, 'failed', `its schema moved ${reviews} times between review and apply`);
      const again = await this.review(name);
      if (typeof again === 'string') return this.setTarget(name, 'failed', again);
      target.review = again.fingerprint;
      const verdict = await this.approve(
        stage,
        again.steps > 0 ? [again] : [],
        `target ${name} alone, which drifted after its review`,
      );
      if (verdict !== 'approved') return this.setTarget(name, 'failed', `its re-review was ${verdict}`);
    }
  }

  historyLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.continueAfterEvents ?? 5000);
  }

  /** Everything this run knows, handed to a new run that starts at `wave` of stage `stage` (already approved). */
  async continueInNewRun(stage: number, wave: number): Promise<never> {
    await this.record('continued', {
      stage: this.input.stages[stage]!.environment,
      wave: wave + 1,
      events: workflowInfo().historyLength,
    });
    // A decision or control taken meanwhile is audited by this run, not lost between the two.
    do {
      await condition(allHandlersFinished);
      await this.flush();
    } while (this.untold.length);
    return await continueAsNew<typeof rollout>({
      ...this.input,
      carried: {
        stage,
        wave,
        paused: this.paused,
        targets: [...this.targets.values()],
        reviews: [...this.reviews.values()],
        questions: this.questions,
      },
    });
  }

  private setTarget(name: string, state: TargetView['state'], detail?: string): void {
    const target = this.targets.get(name)!;
    target.state = state;
    target.detail = detail;
  }

  private abortRest(): 'aborted' {
    for (const target of this.targets.values()) if (target.state === 'pending') target.state = 'aborted';
    return 'aborted';
  }

  endedBy(verdict: Exclude<Verdict, 'approved'>, stage?: string): string {
    const nothing = stage === this.input.stages[0]?.environment ? 'nothing was applied' : this.summary();
    if (verdict === 'aborted')
      return `aborted by ${this.aborted?.person}${this.aborted?.comment ? `: ${this.aborted.comment}` : ''}; ${this.summary()}`;
    if (verdict === 'rejected') {
      const vote = this.questions.flatMap((q) => q.votes).find((v) => v.optionId === REJECT);
      return `${stage} rejected by ${vote?.person}${vote?.comment ? `: ${vote.comment}` : ''}; ${nothing}`;
    }
    return `no decision on ${stage} before it expired; ${nothing}`;
  }

  summary(): string {
    return `targets: ${this.counts([...this.targets.keys()])}`;
  }

  async finish(state: RolloutState, outcome: string): Promise<Omit<RolloutStatusView, 'questions'>> {
    this.abortRest();
    this.state = state;
    this.outcome = outcome;
    this.current = undefined;
    await this.record(state === 'failed' ? 'failure' : state, { outcome });
    await this.flush();
    await this.tell('ended');
    const { questions: _questions, ...result } = this.view();
    return result;
  }

  async record(kind: string, data: Record<string, unknown>, actor?: string, target = this.input.group): Promise<void> {
    this.untold.push({ kind, requestId: this.input.rolloutId, target, actor, data });
    this.publish();
  }

  /** Every recorded step may change the state or the stage: visibility is told when they change. */
  private publish(): void {
    const stage = this.current?.environment ?? '';
    if (!this.searchable || this.published === `${this.state}/${stage}`) return;
    this.published = `${this.state}/${stage}`;
    // A rollout that has ended keeps the stage it ended in.
    upsertSearchAttributes([
      { key: RequestStatus, value: this.state },
      ...(stage ? [{ key: StageAttribute, value: stage }] : []),
    ]);
  }

  private childAttributes(stage: RolloutStage, target: string) {
    return [
      { key: RequestKind, value: 'rollout-target' },
      { key: RolloutId, value: this.input.rolloutId },
      { key: RequestTarget, value: target },
      { key: RequestEnvironment, value: stage.environment },
    ];
  }

  /**
   * The approvers asked, Slack's root message brought up to date, the requester told the end: after
   * the audit entries, which lead. Histories recorded before rollouts told anyone replay without it.
   */
  async tell(kind: RolloutNotification['kind'], question?: Question): Promise<void> {
    if (!patched('rollout-telling')) return;
    const status = toldStatus(this.view());
    await this.activities.tellers.tellRollout({
      kind,
      status,
      ...(question ? { question: (({ approvals: _approvals, ...view }) => view)(question) } : {}),
      recipients: kind === 'question' ? [...(question?.askedTo ?? [])] : kind === 'ended' ? [status.requester] : [],
    });
  }

  /**
   * A question decided, rejected or expired is told so, whoever answered and from whichever channel:
   * its Slack message shows who chose what and loses its buttons. Histories recorded before replay without it.
   */
  private async tellSettled(questions: Question[]): Promise<void> {
    for (const question of questions)
      if (question.state !== 'open' && patched('rollout-decided-telling')) await this.tell('decided', question);
  }

  /** The audit entries waiting, in one activity: the log leads what the rollout does next. */
  private async flush(): Promise<void> {
    const entries = this.untold;
    this.untold = [];
    if (!entries.length) return;
    await this.activities.messengers.auditBatch({
      requestId: this.input.rolloutId,
      target: this.input.group,
      entries: entries.map(({ requestId: _id, target, ...entry }) => ({
        ...entry,
        data: target === this.input.group ? entry.data : { ...entry.data, target },
      })),
    });
  }

  validateDecision(decision: DecisionInput): void {
    this.authenticate(decision, 'decide');
    const question = this.questions.find((q) => q.id === decision.questionId);
    const refuse = (kind: RefusalKind, reason: string) =>
      this.refuse(
        { action: 'decide', actor: decision.person, channel: decision.channel, question: decision.questionId },
        kind,
        reason,
      );
    if (!question)
      return refuse('conflict', `rollout ${this.input.rolloutId} has no question '${decision.questionId}'`);
    if (question.state !== 'open') refuse('conflict', `question '${question.id}' is already ${question.state}`);
    if (!question.options.some((o) => o.id === decision.optionId))
      refuse(
        'conflict',
        `'${decision.optionId}' is not an option of '${question.id}': choose one of ${question.options.map((o) => o.id).join(', ')}`,
      );
    if (!question.askedTo.includes(decision.person))
      refuse('forbidden', `${decision.person} is not asked on '${question.id}': ${question.askedTo.join(', ')} are`);
    const stage = this.input.stages.find(
      (s) => question.id.startsWith(`approve:${s.environment}:`) || question.id.startsWith(`wave:${s.environment}:`),
    );
    if (stage?.policy.separationOfDuties && decision.person === this.input.requester)
      refuse('forbidden', `${decision.person} started this rollout and may not approve it (separation of duties)`);
    if (question.votes.some((vote) => vote.person === decision.person))
      refuse(
        'conflict',
        `${decision.person} already chose on '${question.id}'; the quorum of ${question.quorum} needs distinct approvers`,
      );
    if (decision.optionId !== question.recommendation.optionId && !decision.comment?.trim())
      refuse('forbidden', 'a comment is required to choose against the recommendation: say why');
  }

  async decide(decision: DecisionInput): Promise<DecisionReceipt> {
    const question = this.questions.find((q) => q.id === decision.questionId)!;
    const { signature: _signature, ...unsigned } = decision;
    question.votes.push({ ...unsigned, at: new Date().toISOString() });
    if (decision.optionId === APPROVE) question.approvals.push({ decision, updateId: currentUpdateInfo()!.id });
    const same = question.votes.filter((vote) => vote.optionId === decision.optionId).length;
    if (decision.optionId === REJECT) {
      question.state = 'rejected';
      question.chosenOptionId = REJECT;
    } else if (same >= question.quorum) {
      question.state = 'decided';
      question.chosenOptionId = decision.optionId;
    }
    await this.record(
      'decision',
      { question: question.id, option: decision.optionId, comment: decision.comment, questionState: question.state },
      decision.person,
    );
    return {
      questionId: question.id,
      optionId: decision.optionId,
      person: decision.person,
      questionState: question.state,
      votes: same,
      quorum: question.quorum,
      comment: decision.comment,
    };
  }

  validateControl({ decision }: ControlInput): void {
    this.authenticate(decision, 'control');
    const refuse = (kind: RefusalKind, reason: string) =>
      this.refuse(
        { action: 'control', actor: decision.person, channel: decision.channel, control: decision.optionId },
        kind,
        reason,
      );
    const [action, target] = parseControl(decision.optionId);
    if (!action || decision.questionId !== 'control')
      return refuse(
        'conflict',
        `'${decision.optionId}' is not a control: pause, resume, skip:<target>, retry:<target> or abort`,
      );
    if (['completed', 'failed', 'aborted', 'rejected', 'expired'].includes(this.state))
      refuse('conflict', `rollout ${this.input.rolloutId} has already ended (${this.state})`);
    const allowed = [
      this.input.requester,
      ...this.input.stages.flatMap((s) => [...s.policy.approvers, ...s.policy.admins]),
    ];
    if (!allowed.includes(decision.person))
      refuse(
        'forbidden',
        `${decision.person} may not ${action} this rollout: its requester, its stages' approvers and admins may`,
      );
    if (action === 'pause' && this.paused) refuse('conflict', 'the rollout is paused already');
    if (action === 'resume' && !this.paused) refuse('conflict', 'the rollout is not paused');
    if (action === 'skip' || action === 'retry') {
      const state = target ? this.targets.get(target)?.state : undefined;
      if (!state) return refuse('conflict', `${action} names a target of this rollout: ${action}:<target>`);
      if (action === 'skip' && state !== 'pending' && state !== 'failed')
        refuse('conflict', `target ${target} is ${state}: only a pending or failed target can be skipped`);
      if (action === 'retry' && state !== 'failed' && state !== 'skipped')
        refuse('conflict', `target ${target} is ${state}: only a failed or skipped target can be retried`);
      if (action === 'retry' && this.targets.get(target!)!.environment !== this.current?.environment)
        refuse(
          'conflict',
          `target ${target} is in stage ${this.targets.get(target!)!.environment}, and the rollout is ${this.current ? `in stage ${this.current.environment}` : 'in none yet'}: a target is retried in its own stage's waves`,
        );
    }
  }

  async control({ decision }: ControlInput): Promise<RolloutStatusView> {
    const [action, target] = parseControl(decision.optionId) as [ControlAction, string | undefined];
    if (action === 'pause') this.paused = true;
    else if (action === 'resume') this.paused = false;
    else if (action === 'skip') this.setTarget(target!, 'skipped', `skipped by ${decision.person}`);
    else if (action === 'retry') this.setTarget(target!, 'pending', `retry asked by ${decision.person}`);
    else this.aborted = { person: decision.person, comment: decision.comment };
    if (this.paused && action === 'pause') this.state = 'paused';
    if (action === 'resume') this.state = 'applying';
    await this.record('control', { action, target, comment: decision.comment }, decision.person);
    return this.view();
  }

  /** Only what a channel signed for this rollout and this Update counts (workflows/decision-signature.ts). */
  private authenticate(decision: DecisionInput, action: WorkflowRefusal['action']): void {
    const problem = decisionSignatureProblem(
      this.input.decisionKeys,
      this.input.rolloutId,
      currentUpdateInfo()?.id ?? '',
      decision,
      Date.now(),
    );
    if (problem)
      this.refuse(
        {
          action,
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

  private refuse(
    attempt: Pick<WorkflowRefusal, 'action' | 'actor'> & Record<string, unknown>,
    kind: RefusalKind,
    reason: string,
  ): never {
    audit.refused({
      ...attempt,
      update: currentUpdateInfo()?.id,
      requestId: this.input.rolloutId,
      target: this.input.group,
      reason,
    });
    throw ApplicationFailure.create({ type: REFUSAL_FAILURE_TYPE[kind], message: reason, nonRetryable: true });
  }
}

function parseControl(optionId: string): [ControlAction | undefined, string | undefined] {
  const [action, ...rest] = optionId.split(':');
  const target = rest.length ? rest.join(':') : undefined;
  if ((action === 'pause' || action === 'resume' || action === 'abort') && target === undefined)
    return [action, undefined];
  if ((action === 'skip' || action === 'retry') && target) return [action, target];
  return [undefined, undefined];
}

function listed(targets: string[]): string {
  return targets.length <= 8 ? targets.join(', ') : `${targets.slice(0, 8).join(', ')} and ${targets.length - 8} more`;
}
