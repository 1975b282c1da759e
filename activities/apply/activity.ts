import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Migration } from '../../artifacts/migration';
import { resolveTarget } from '../../config/targets';
import type { ClientBase, Pool } from 'pg';
import { readFingerprint } from '../../postgres/introspection';
import { targetFingerprint, withTarget } from '../../postgres/target';
import { appendAudit, appendAudits } from '../../store/audit';
import { getJson, putJson, type ArtifactRef } from '../../store/artifacts';
import type { ApplyInput, ApplyOutcome, ApplyStopped, RequestActivities, VerifyOutcome } from '../contracts';
import { heartbeating } from '../heartbeat';
import { stepTimer } from '../../operations/metrics';
import {
  applyMigrations,
  LockContentionError,
  MigrationFailedError,
  runRevert,
  type ApplyOptions,
  type ApplyProgress,
} from '.';
import { createReviewedApply, type RenderChosen } from './reviewed-apply';
import { requireApprovals } from './approved';
import type { ApprovalTrust } from '../../approvals/signed-approvals';
import { verifyAppliedOn } from './verify';

/**
 * The apply activities: the drift check before, the runner over the chosen migrations, and the check
 * after; and all three in one under the apply lock (`applyReviewed`), which renders with the review's `render`
 * once the request's approvals hold with the worker's own keys and policy (`trust`).
 */
export function createApplyActivities(
  store: Pool,
  render: RenderChosen,
  trust: ApprovalTrust | undefined,
): Pick<RequestActivities, 'checkDrift' | 'applyChange' | 'revertChange' | 'verifyChange' | 'applyReviewed'> {
  return {
    checkDrift: ({ target, fingerprint }) =>
      heartbeating(async () => {
        const current = await targetFingerprint(target);
        return { current, drifted: current !== fingerprint };
      }),

    applyChange: (input) =>
      heartbeating(async (progress) =>
        runOnTarget(store, input, await getJson(store, input.migration), applyMigrations, progress),
      ),
    revertChange: (input) =>
      heartbeating(async (progress) =>
        runOnTarget(store, input, await getJson(store, input.migration), runRevert, progress),
      ),
    applyReviewed: auditingFirst(store, requireApprovals(trust, createReviewedApply(store, render))),

    verifyChange: (input) => heartbeating(() => verifyOnTarget(store, input)),
  };
}

/**
 * Appends what led to the apply (the decisions, the phase's start) before anything else, approvals
 * check included, as the workflow did before it scheduled the apply; once per activity, whatever its
 * attempts (a retry after a lost target or a killed worker appends nothing the first attempt did).
 */
function auditingFirst(store: Pool, apply: RequestActivities['applyReviewed']): RequestActivities['applyReviewed'] {
  return async (input) => {
    if (input.audits?.length) {
      const { workflowExecution, activityId, attempt } = Context.current().info;
      await appendAudits(
        store,
        input.audits.map((entry) => ({ ...entry, requestId: input.requestId, target: input.target })),
        { key: `apply ${workflowExecution?.runId ?? ''}/${activityId}`, retried: attempt > 1 },
      );
    }
    return apply(input);
  };
}

/** Each chosen migration checked on the target as applied, and the target's fingerprint after. */
export async function verifyOnTarget(
  store: Pool,
  input: { target: string; migration: ArtifactRef },
): Promise<VerifyOutcome> {
  const migrations = await getJson<Migration[]>(store, input.migration);
  return withTarget(resolveTarget(input.target).connectionString, (client) => verifyOn(client, migrations), {
    applicationName: 'schemawright-verify',
    name: input.target,
  });
}

/** The verification on one connection: each migration in turn, then the fingerprint of what they left. */
export async function verifyOn(client: ClientBase, migrations: Migration[]): Promise<VerifyOutcome> {
  const problems: string[] = [];
  for (const migration of migrations) problems.push(...(await verifyAppliedOn(client, migration)));
  return { ok: problems.length === 0, fingerprint: await readFingerprint(client), problems };
}

/**
 * The runner over a request's chosen migrations (an apply's, or a revert's downs), given as
 * `input.migration` holds them, each applied step audited in order; a stop a person must weigh comes
 * back with its evidence stored, with what `stopDetails` adds. `options` hook into the runner's
 * session (see ApplyOptions).
 */
export async function runOnTarget(
  store: Pool,
  input: ApplyInput,
  migrations: Migration[],
  run: typeof applyMigrations,
  progress: (event: ApplyProgress) => void,
  options: Pick<ApplyOptions, 'underLock' | 'beforeRelease' | 'onStopped' | 'applicationName'> = {},
  stopDetails: () => Partial<ApplyStopped> = () => ({}),
): Promise<ApplyOutcome> {
  const target = { name: input.target, connectionString: resolveTarget(input.target).connectionString };
  const timeStep = stepTimer();
  let audits = Promise.resolve();
  let auditFailure: unknown;
  const results = await run(target, migrations, {
    requestId: input.requestId,
    decidedBy: input.decidedBy,
    ...input.limits,
    ...options,
    onProgress: (event) => {
      progress(event);
      timeStep(event);
      if (event.status !== 'applied') return;
      // Chained, so entries keep the order of the steps; awaited before the activity completes. A
      // failure is kept for then: a rejected link left unhandled meanwhile would end the worker.
      audits = audits
        .then(() =>
          appendAudit(store, {
            kind: 'step-applied',
            requestId: input.requestId,
            target: input.target,
            data: { ...event },
          }),
        )
        .then(
          () => undefined,
          (error: unknown) => void (auditFailure ??= error),
        );
    },
  }).catch(async (error: unknown) => {
    await audits;
    if (!(error instanceof LockContentionError || error instanceof MigrationFailedError)) throw error;
    // A person weighs these: the evidence goes to the store, its ref to the workflow.
    const evidence = await putJson(store, 'apply-stopped', {
      ...error,
      error: error.name,
      message: error.message,
    });
    const details: ApplyStopped = { step: error.step, evidence, ...stopDetails() };
    throw ApplicationFailure.create({
      type: error.name,
      message: error.message,
      nonRetryable: true,
      details: [details],
    });
  });
  await audits;
  if (auditFailure) throw auditFailure;
  return {
    steps: results.reduce((n, r) => n + r.steps, 0),
    applied: results.reduce((n, r) => n + r.applied, 0),
    alreadyApplied: results.reduce((n, r) => n + r.alreadyApplied, 0),
    durationMs: results.reduce((n, r) => n + r.durationMs, 0),
  };
}
