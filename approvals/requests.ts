import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import {
  ApplicationFailure,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { waitingFor, type PendingActivity } from './apply-wait';
import {
  cancel,
  cancelAsDecision,
  REFUSAL_FAILURE_TYPE,
  decide,
  status,
  type CancelInput,
  type Channel,
  type DecisionInput,
  type DecisionReceipt,
  type GatePolicy,
  type ApplyLimits,
  type GateTimings,
  type RefusalKind,
  type RequestInput,
  type RequestKind,
  type RequestState,
  type RequestStatusView,
  type RevertOf,
} from '../workflows/design-request-messages';
import { targetProblem } from '../config/targets';
import {
  Requester,
  RequestEnvironment,
  RequestKind as RequestKindKey,
  RequestPhase,
  RequestStatus,
  RequestTarget,
} from '../workflows/search-attributes';
import { putArtifact } from '../store/artifacts';
import { appendAudit } from '../store/audit';
import { AnonymousRefusalLimit } from './anonymous-refusals';
import type { DecisionSigner } from './decision-keys';
import { updateIdFor } from './signed-approvals';
import { UpdateLanes } from './update-lanes';
import { loadSpec, SpecError } from '../activities/modeling/spec';
import { parseStatements, SqlSyntaxError } from '../postgres/parse';
import { layoutProblems, type MigrationFile } from '../artifacts/migration-files';
import { PolicyError } from './policy';
import { revertableRequest } from './revert-request';

/**
 * The one path by which every channel (CLI, Slack, email/web, HTTP API) starts, follows, decides and
 * cancels a request. Channels translate their people into person ids and call these functions.
 */
export interface RequestServices {
  temporal: Client;
  store: Pool;
  taskQueue: string;
  gatePolicyFor(target: string, environment: string): GatePolicy;
  /** Targets the policy names: with those configured by URL, the only targets a request may name (config/targets.ts). */
  policyTargets?: readonly string[];
  timings: GateTimings;
  heartbeatSeconds?: number;
  apply?: ApplyLimits;
  /** Signs the decisions of the channels this process authenticates; its public keys go into every request. */
  decisions: DecisionSigner;
}

export interface KickoffRequest {
  /** The caller's id for this request: the same id twice returns the same request. */
  clientRequestId?: string;
  kind: RequestKind;
  title: string;
  target: string;
  environment: string;
  requester: string;
  channel: Channel;
  /**
   * `name`: the file's base name, which messages about the source name (a path is cut to its base name).
   * A revert's source is its reason (format `revert`).
   */
  source: { format: 'spec' | 'sql' | 'migrations' | 'revert'; text: string; name?: string };
  /** kind `revert`: the applied request to take back; its target and environment are that request's. */
  reverts?: string;
}

export class RequestInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`the request was not started: ${problems.join('; ')}`);
    this.name = 'RequestInputError';
  }
}

/**
 * A decision or cancel that was refused: the reason is meant for the person who tried. Besides the
 * workflow's own kinds: `busy` when Temporal could not take it now (try again), `mismatch` when a
 * repeated action id came with another decision.
 */
export type RefusedKind = RefusalKind | 'busy' | 'mismatch';

export class RefusedError extends Error {
  constructor(
    readonly reason: string,
    readonly kind: RefusedKind = 'forbidden',
  ) {
    super(reason);
    this.name = 'RefusedError';
  }
}

export class UnknownRequestError extends Error {
  constructor(readonly requestId: string) {
    super(`no request ${requestId}: check the id with \`schemawright list\``);
    this.name = 'UnknownRequestError';
  }
}

export function workflowIdOf(requestId: string): string {
  return `request-${requestId}`;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/** A target, an environment or a client request id: letters, digits, _ and -. */
export function isName(value: string): boolean {
  return NAME.test(value);
}

function validateKickoff(request: KickoffRequest): string[] {
  const problems: string[] = [];
  if (!['design', 'change', 'review', 'revert'].includes(request.kind))
    problems.push(`kind must be design, change, review or revert (got '${request.kind}')`);
  if (!NAME.test(request.target ?? ''))
    problems.push(`target must be a name like 'shop' (letters, digits, _ and -), got '${request.target ?? ''}'`);
  if (!NAME.test(request.environment ?? ''))
    problems.push(`environment must be a name like 'production', got '${request.environment ?? ''}'`);
  if (!request.requester?.trim()) problems.push('requester is required: say who asks (--as PERSON)');
  if (request.clientRequestId !== undefined && !NAME.test(request.clientRequestId))
    problems.push(`client request id must be letters, digits, _ and - (got '${request.clientRequestId}')`);
  const sourceProblem = kindSourceProblem(request.kind, request.source.format, request.source.text.trim() !== '');
  if (sourceProblem) problems.push(sourceProblem);
  problems.push(
    ...nulProblems({ title: request.title, source: request.source.text, 'source name': request.source.name }),
  );
  return problems;
}

/** What each kind starts from: a design from a spec, a change from SQL or migrations, a review from the target alone. */
export function kindSourceProblem(
  kind: RequestKind,
  format: KickoffRequest['source']['format'],
  given: boolean,
): string | undefined {
  if (kind === 'revert')
    return given && format === 'revert'
      ? undefined
      : "a revert request needs a reason (source format 'revert'): say why the change is taken back (--reason)";
  if (format === 'revert') return `a ${kind} request takes no revert reason: start a revert request (kind 'revert')`;
  if (kind === 'review')
    return given
      ? 'a review request analyses the target as it is and takes no spec or SQL: leave the source empty, or start a change (SQL) or design (spec) request'
      : undefined;
  if (!given) return `a ${kind} request needs ${kind === 'design' ? 'a spec' : 'migration SQL'}`;
  if (kind === 'design' && format !== 'spec')
    return `a design request starts from a spec (source format 'spec'), not '${format}': start a change request for SQL`;
  if (kind === 'change' && format === 'spec')
    return "a change request starts from SQL or migrations (source format 'sql' or 'migrations'), not a spec: start a design request for a spec";
  return undefined;
}

/** PostgreSQL text and jsonb cannot hold U+0000: a field with one is refused before anything is stored. */
function nulProblems(fields: Record<string, string | undefined>): string[] {
  return Object.entries(fields)
    .filter(([, value]) => value?.includes('\u0000'))
    .map(([name]) => `the ${name} contains a NUL character (U+0000), which cannot be stored: remove it and try again`);
}

/** The source must parse before anything starts: a syntax error names its line and column. */
export async function sourceProblems(source: KickoffRequest['source']): Promise<string[]> {
  const files: MigrationFile[] = [];
  const name = sourceName(source.name);
  if (source.format === 'sql') files.push({ path: name ?? 'the SQL', up: source.text });
  if (source.format === 'migrations') {
    const shape = 'the migrations must be JSON of [{ "path": string, "up": string, "down"?: string }]';
    let parsed: unknown;
    try {
      parsed = JSON.parse(source.text);
    } catch (error) {
      return [`${shape}: ${(error as Error).message}`];
    }
    const isFile = (f: unknown): f is MigrationFile => {
      const file = f as Partial<MigrationFile> | null;
      return (
        typeof file?.path === 'string' &&
        typeof file.up === 'string' &&
        (file.down === undefined || typeof file.down === 'string')
      );
    };
    if (!Array.isArray(parsed) || parsed.length === 0) return [`${shape}, with at least one file`];
    const bad = parsed.findIndex((f) => !isFile(f));
    if (bad >= 0) return [`${shape}: item ${bad} is ${JSON.stringify(parsed[bad])?.slice(0, 80)}`];
    files.push(...(parsed as MigrationFile[]));
    const layout = layoutProblems(files);
    if (layout.length) return layout;
  }
  if (source.format === 'spec') {
    try {
      await loadSpec(source.text, name ?? 'spec');
    } catch (error) {
      if (error instanceof SpecError) return [error.message];
      throw error;
    }
  }
  const problems: string[] = [];
  for (const file of files) {
    for (const [text, part] of [
      [file.up, file.path],
      [file.down, `${file.path} (down)`],
    ] as const) {
      if (text === undefined) continue;
      await parseStatements(text, part).catch((error: unknown) => {
        if (!(error instanceof SqlSyntaxError)) throw error;
        for (const { location, reason, hint } of error.failures)
          problems.push(`${part}:${location.line}:${location.column}: ${reason}${hint ? `; ${hint}` : ''}`);
      });
    }
  }
  return problems;
}

/** A base name only: where a file lay on the requester's machine stays out of the workflow's history. */
export function sourceName(name: string | undefined): string | undefined {
  return name?.split(/[\\/]/).pop()?.trim() || undefined;
}

/** Who approves is resolved before anything is stored: a target or environment the policy does not cover is the caller's to fix. */
function gatePolicyOf(services: RequestServices, request: KickoffRequest): GatePolicy {
  try {
    return services.gatePolicyFor(request.target, request.environment);
  } catch (error) {
    if (error instanceof PolicyError) throw new RequestInputError([error.message]);
    throw error;
  }
}

/** Starts a request, or returns the existing one for a repeated client request id. */
export async function startRequest(
  services: RequestServices,
  request: KickoffRequest,
): Promise<{ requestId: string; started: boolean }> {
  let reverts: RevertOf | undefined;
  if (request.kind === 'revert') ({ request, reverts } = await revertKickoff(services, request));
  const problems = validateKickoff(request);
  if (!problems.length) problems.push(...(await sourceProblems(request.source)));
  if (problems.length) {
    // Migrations that cannot be applied as given (a layout, a version twice) are on record as refused.
    if (request.source.format === 'migrations')
      await auditRefusal(services, {
        action: 'request',
        actor: request.requester?.trim() || 'unknown',
        channel: request.channel,
        target: request.target,
        reason: problems.join('; '),
      });
    throw new RequestInputError(problems);
  }
  const policy = gatePolicyOf(services, request);
  const { rows } = await services.store.query<{ name: string }>('SELECT current_database() AS name');
  const targetRefusal = targetProblem(request.target, services.policyTargets ?? [], rows[0].name);
  if (targetRefusal) throw new RequestInputError([targetRefusal]);
  const requestId = request.clientRequestId ?? randomUUID();
  const source = await putArtifact(
    services.store,
    `source-${request.source.format}`,
    'text/plain',
    request.source.text,
  );
  const input: RequestInput = {
    requestId,
    kind: request.kind,
    title: request.title.trim() || `${request.kind} ${request.target}`,
    target: request.target,
    environment: request.environment,
    requester: request.requester,
    channel: request.channel,
    source: { ...source, format: request.source.format, name: sourceName(request.source.name) },
    policy,
    timings: services.timings,
    heartbeatSeconds: services.heartbeatSeconds,
    apply: services.apply,
    decisionKeys: services.decisions.publicKeys,
    ...(reverts ? { reverts } : {}),
  };
  try {
    await services.temporal.workflow.start('designRequest', {
      workflowId: workflowIdOf(requestId),
      taskQueue: services.taskQueue,
      args: [input],
      // A request id names one request forever: a repeated kickoff finds it even after it finished.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: RequestStatus, value: 'running' satisfies RequestState },
        { key: RequestKindKey, value: request.kind },
        { key: RequestTarget, value: request.target },
        { key: RequestEnvironment, value: request.environment },
        { key: Requester, value: request.requester },
        { key: RequestPhase, value: 'kickoff' },
      ],
    });
    return { requestId, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { requestId, started: false };
    throw error;
  }
}

/**
 * A revert takes its target and environment from the applied request it names, which must be one
 * that can be reverted (approvals/revert-request.ts); a refusal is audited against that request.
 */
async function revertKickoff(
  services: RequestServices,
  request: KickoffRequest,
): Promise<{ request: KickoffRequest; reverts: RevertOf }> {
  if (!request.reverts || !NAME.test(request.reverts))
    throw new RequestInputError([
      `a revert names the applied request it takes back by its request id (got '${request.reverts ?? ''}')`,
    ]);
  const reasonProblem = kindSourceProblem('revert', request.source.format, request.source.text.trim() !== '');
  if (reasonProblem) throw new RequestInputError([reasonProblem]);
  const found = await revertableRequest(
    services.temporal.workflow.getHandle(workflowIdOf(request.reverts)),
    services.store,
    request.reverts,
    request.source.text.trim(),
  );
  const problems = 'problems' in found ? found.problems : [];
  if (!('problems' in found) && request.target && request.target !== found.target)
    problems.push(`request ${request.reverts} applied to target ${found.target}, not ${request.target}`);
  if ('problems' in found || problems.length) {
    await auditRefusal(services, {
      action: 'revert',
      actor: request.requester?.trim() || 'unknown',
      channel: request.channel,
      requestId: request.reverts,
      reason: problems.join('; '),
    });
    throw new RequestInputError(problems);
  }
  return {
    request: {
      ...request,
      target: found.target,
      environment: found.environment,
      title: request.title?.trim() || found.title,
    },
    reverts: found.reverts,
  };
}

export async function requestStatus(
  services: Pick<RequestServices, 'temporal'>,
  requestId: string,
): Promise<RequestStatusView> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  try {
    const view = await handle.query(status);
    // Only an apply can wait on something the workflow does not see: the target's lock, a retry.
    const pending = view.state === 'applying' ? await pendingActivities(handle) : [];
    const waiting = waitingFor(view, pending);
    return waiting ? { ...view, waitingFor: waiting } : view;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UnknownRequestError(requestId);
    throw error;
  }
}

/** The workflow's pending activities as Temporal describes them, their latest heartbeat decoded. */
async function pendingActivities(handle: WorkflowHandle): Promise<PendingActivity[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).map((activity) => {
    const [detail] = activity.heartbeatDetails?.payloads ?? [];
    return {
      activityType: activity.activityType?.name ?? '',
      attempt: activity.attempt ?? 1,
      heartbeat: detail ? defaultPayloadConverter.fromPayload(detail) : undefined,
      scheduled: activity.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
      lastFailure: activity.lastFailure?.message ?? undefined,
    };
  });
}

/**
 * One decision from any channel, signed here for the channel that authenticated the person. `actionId`
 * is the caller's id for the action (Slack action, email token, API Idempotency-Key): it becomes the
 * Update id (after the run's id), so a repeated click gets the first answer again, and the same id with another decision
 * is refused. A refusal comes back with its reason, and is audited (by the workflow when it refused).
 */
export async function decideRequest(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  requestId: string,
  decision: DecisionInput,
  actionId?: string,
): Promise<DecisionReceipt> {
  const attempt = {
    action: 'decide',
    actor: decision.person,
    channel: decision.channel,
    requestId,
    question: decision.questionId,
    option: decision.optionId,
    ...(decision.comment ? { comment: decision.comment } : {}),
  };
  const [unstorable] = nulProblems({ comment: decision.comment, option: decision.optionId });
  if (unstorable) {
    await auditRefusal(services, { ...attempt, reason: unstorable });
    throw new RefusedError(unstorable);
  }
  let sent: { value: DecisionReceipt } | undefined;
  try {
    // Signed for the run it is sent to: the apply counts only approvals of its own run (approvals/signed-approvals.ts).
    const { runId } = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).describe();
    const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId), runId);
    const updateId = updateIdFor(runId, actionId ?? `${decision.channel}-${randomUUID()}`);
    // Signed in its turn: a decision that waited long in line is still fresh when the workflow reads it.
    sent = await decisionLanes.run(requestId, () =>
      handle.executeUpdate(decide, { args: [services.decisions.sign(requestId, updateId, decision)], updateId }),
    );
  } catch (error) {
    throw await refusalOf(services, error, requestId, attempt);
  }
  if (!sent) {
    const reason = `too many decisions on request ${requestId} are waiting already, so this one did not count: try again in a few seconds`;
    await auditRefusal(services, { ...attempt, reason });
    throw new RefusedError(reason, 'busy');
  }
  const receipt = sent.value;
  const first = {
    questionId: receipt.questionId,
    optionId: receipt.optionId,
    person: receipt.person,
    comment: receipt.comment,
  };
  if (
    first.questionId !== decision.questionId ||
    first.optionId !== decision.optionId ||
    first.person !== decision.person ||
    (first.comment ?? '') !== (decision.comment ?? '')
  ) {
    const reason = `this repeats the id of an earlier decision (${actionId}) with another content: that one chose '${first.optionId}' on '${first.questionId}'${first.comment ? ` saying "${first.comment}"` : ''} and stands; use a new Idempotency-Key for a new decision`;
    await auditRefusal(services, { ...attempt, reason });
    throw new RefusedError(reason, 'mismatch');
  }
  return receipt;
}

/** A cancel, signed here as the CLI's (the operator key): the workflow takes no unsigned one. */
export async function cancelRequest(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  requestId: string,
  request: CancelInput,
): Promise<RequestStatusView> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  try {
    const updateId = `cancel-${randomUUID()}`;
    const { signature } = services.decisions.sign(
      requestId,
      updateId,
      cancelAsDecision({ ...request, channel: 'cli' }),
    );
    return await handle.executeUpdate(cancel, { args: [{ ...request, channel: 'cli', signature }], updateId });
  } catch (error) {
    throw await refusalOf(services, error, requestId, { action: 'cancel', actor: request.person, requestId });
  }
}

const decisionLanes = new UpdateLanes();

const REFUSAL_KINDS = new Map(Object.entries(REFUSAL_FAILURE_TYPE).map(([kind, type]) => [type, kind as RefusalKind]));

/**
 * Temporal could not take the Update now (too many in flight on one request, a workflow task that
 * failed under it, the server away); the same one again later can succeed. gRPC status codes:
 * RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNAVAILABLE.
 */
const TRANSIENT_GRPC = new Set([8, 9, 14]);

/**
 * What a failed Update means for the person: the workflow's refusal (audited by the workflow), an
 * ended request, or Temporal too busy to take it now. Each of the last two is audited here.
 */
export async function refusalOf(
  services: Pick<RequestServices, 'temporal' | 'store'>,
  error: unknown,
  requestId: string,
  attempt: Pick<RefusedAttempt, 'action' | 'actor' | 'channel' | 'requestId'> & Record<string, unknown>,
): Promise<unknown> {
  const refused = async (reason: string, kind: RefusedKind, target?: string) => {
    await auditRefusal(services, { ...attempt, target, reason });
    return new RefusedError(reason, kind);
  };
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    const kind = cause instanceof ApplicationFailure && cause.type ? REFUSAL_KINDS.get(cause.type) : undefined;
    if (kind) return new RefusedError(cause!.message, kind);
    return await refused(cause?.message ?? error.message, 'forbidden');
  }
  if (error instanceof WorkflowNotFoundError) {
    // An ended request no longer takes Updates; its result still says how it ended.
    const ended = await recordedRequest(services, requestId);
    if (!ended) return new UnknownRequestError(requestId);
    return await refused(
      `request ${requestId} has ended (${ended.state}): it takes no more decisions${ended.outcome ? `; ${ended.outcome}` : ''}`,
      'conflict',
      ended.target,
    );
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return await refused(
      `request ${requestId} did not answer in time, so this may or may not have counted: look at the request (\`schemawright status ${requestId}\`) before trying again`,
      'busy',
    );
  }
  const grpc = error instanceof ServiceError ? error.cause : undefined;
  if (isGrpcServiceError(grpc) && TRANSIENT_GRPC.has(grpc.code)) {
    return await refused(
      `Temporal could not take this now (${grpc.details || 'too many at once'}), so it did not count: try again in a few seconds`,
      'busy',
    );
  }
  return error;
}

/** A request's state and target from Temporal's record of the run (no worker replays it), and how it ended; undefined if there is no such request. */
async function recordedRequest(
  services: Pick<RequestServices, 'temporal'>,
  requestId: string,
): Promise<{ state: string; target: string; outcome?: string } | undefined> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  const described = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  if (!described) return undefined;
  const attributes = described.typedSearchAttributes;
  const recorded = {
    state: attributes.get(RequestStatus) ?? described.status.name.toLowerCase(),
    target: attributes.get(RequestTarget) ?? 'unknown',
  };
  if (described.status.name === 'RUNNING') return recorded;
  const result = await handle.result().catch(() => undefined);
  return { ...recorded, outcome: result?.outcome };
}

/** The request id of a refused attempt that names no request (an unknown API token, a Slack user outside the policy). */
export const NO_REQUEST = '-';

export interface RefusedAttempt {
  action: string;
  /** Who tried, as far as it is known: a person id, `slack:<user id>`, or `unknown`. */
  actor: string;
  channel?: Channel;
  reason: string;
  requestId?: string;
  target?: string;
  [detail: string]: unknown;
}

const anonymousRefusals = new AnonymousRefusalLimit();

/**
 * Every refused attempt is audited, from whichever channel and however early it was refused; those
 * without a known actor, past a rate, as a count (AnonymousRefusalLimit).
 */
export async function auditRefusal(
  services: Pick<RequestServices, 'store'> & Partial<Pick<RequestServices, 'temporal'>>,
  attempt: RefusedAttempt,
  anonymous = anonymousRefusals,
): Promise<void> {
  const { actor, channel, requestId = NO_REQUEST, target, ...data } = attempt;
  const counted = (count: number, since: Date) =>
    appendAudit(services.store, {
      kind: 'refused',
      requestId: NO_REQUEST,
      target: 'unknown',
      actor: 'unknown',
      data: {
        action: 'many',
        count,
        since: since.toISOString(),
        reason: `${count} more attempts without a known actor were refused in the window from ${since.toISOString()}: counted, not written one by one`,
      },
    });
  if (actor === 'unknown' && !anonymous.admit(counted)) return;
  const temporal = services.temporal;
  const knownTarget =
    target ??
    (requestId === NO_REQUEST || !temporal
      ? undefined
      : await recordedRequest({ temporal }, requestId).then(
          (request) => request?.target,
          () => undefined,
        ));
  await appendAudit(services.store, {
    kind: 'refused',
    requestId,
    target: knownTarget ?? 'unknown',
    actor,
    channel,
    data,
  });
}

export interface RequestSummary {
  requestId: string;
  status: string;
  kind: string;
  target: string;
  environment: string;
  requester: string;
  phase: string;
  startTime: Date;
}

/** Reads Temporal visibility: filters are search-attribute equalities. */
export async function listRequests(
  services: Pick<RequestServices, 'temporal' | 'taskQueue'>,
  filters: { status?: string; target?: string; environment?: string; requester?: string; kind?: string } = {},
): Promise<RequestSummary[]> {
  const clauses = [`WorkflowType = 'designRequest'`, `TaskQueue = '${quoteVisibility(services.taskQueue)}'`];
  const keys = {
    status: RequestStatus,
    target: RequestTarget,
    environment: RequestEnvironment,
    requester: Requester,
    kind: RequestKindKey,
  } as const;
  for (const [name, key] of Object.entries(keys)) {
    const value = filters[name as keyof typeof filters];
    if (value) clauses.push(`${key.name} = '${quoteVisibility(value)}'`);
  }
  const summaries: RequestSummary[] = [];
  for await (const execution of services.temporal.workflow.list({ query: clauses.join(' AND ') })) {
    const attributes = execution.typedSearchAttributes;
    summaries.push({
      requestId: execution.workflowId.replace(/^request-/, ''),
      status: attributes.get(RequestStatus) ?? 'unknown',
      kind: attributes.get(RequestKindKey) ?? '',
      target: attributes.get(RequestTarget) ?? '',
      environment: attributes.get(RequestEnvironment) ?? '',
      requester: attributes.get(Requester) ?? '',
      phase: attributes.get(RequestPhase) ?? '',
      startTime: execution.startTime,
    });
  }
  // The dev server's SQLite visibility ignores ORDER BY: sort here, newest first.
  return summaries.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

/** A string for the inside of a visibility query's single quotes. */
export function quoteVisibility(value: string): string {
  return value.replace(/[\\']/g, (c) => `\\${c}`);
}
