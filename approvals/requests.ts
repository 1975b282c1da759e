import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  cancel,
  decide,
  status,
  type CancelInput,
  type Channel,
  type DecisionInput,
  type DecisionReceipt,
  type GatePolicy,
  type ApplyLimits,
  type GateTimings,
  type RequestInput,
  type RequestKind,
  type RequestState,
  type RequestStatusView,
} from '../workflows/design-request-messages';
import { Requester, RequestEnvironment, RequestKind as RequestKindKey, RequestPhase, RequestStatus, RequestTarget } from '../workflows/search-attributes';
import { putArtifact } from '../store/artifacts';
import { appendAudit } from '../store/audit';
import { AnonymousRefusalLimit } from './anonymous-refusals';
import { loadSpec, SpecError } from '../activities/modeling/spec';
import { parseStatements, SqlSyntaxError } from '../postgres/parse';
import type { MigrationFile } from '../artifacts/migration-files';
import { PolicyError } from './policy';

/**
 * The one path by which every channel (CLI, Slack, email/web, HTTP API) starts, follows, decides and
 * cancels a request. Channels translate their people into person ids and call these functions.
 */
export interface RequestServices {
  temporal: Client;
  store: Pool;
  taskQueue: string;
  gatePolicyFor(target: string, environment: string): GatePolicy;
  timings: GateTimings;
  heartbeatSeconds?: number;
  apply?: ApplyLimits;
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
  source: { format: 'spec' | 'sql' | 'migrations'; text: string };
}

export class RequestInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`the request was not started: ${problems.join('; ')}`);
    this.name = 'RequestInputError';
  }
}

/** A decision or cancel the workflow refused: the reason is meant for the person who tried. */
export class RefusedError extends Error {
  constructor(readonly reason: string) {
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
  if (!['design', 'change', 'review'].includes(request.kind)) problems.push(`kind must be design, change or review (got '${request.kind}')`);
  if (!NAME.test(request.target ?? '')) problems.push(`target must be a name like 'shop' (letters, digits, _ and -), got '${request.target ?? ''}'`);
  if (!NAME.test(request.environment ?? '')) problems.push(`environment must be a name like 'production', got '${request.environment ?? ''}'`);
  if (!request.requester?.trim()) problems.push('requester is required: say who asks (--as PERSON)');
  if (request.clientRequestId !== undefined && !NAME.test(request.clientRequestId)) problems.push(`client request id must be letters, digits, _ and - (got '${request.clientRequestId}')`);
  const sourceProblem = kindSourceProblem(request.kind, request.source.format, request.source.text.trim() !== '');
  if (sourceProblem) problems.push(sourceProblem);
  problems.push(...nulProblems({ title: request.title, source: request.source.text }));
  return problems;
}

/** What each kind starts from: a design from a spec, a change from SQL or migrations, a review from the target alone. */
export function kindSourceProblem(kind: RequestKind, format: KickoffRequest['source']['format'], given: boolean): string | undefined {
  if (kind === 'review') return given ? 'a review request analyses the target as it is and takes no spec or SQL: leave the source empty, or start a change (SQL) or design (spec) request' : undefined;
  if (!given) return `a ${kind} request needs ${kind === 'design' ? 'a spec' : 'migration SQL'}`;
  if (kind === 'design' && format !== 'spec') return `a design request starts from a spec (source format 'spec'), not '${format}': start a change request for SQL`;
  if (kind === 'change' && format === 'spec') return "a change request starts from SQL or migrations (source format 'sql' or 'migrations'), not a spec: start a design request for a spec";
  return undefined;
}

/** PostgreSQL text and jsonb cannot hold U+0000: a field with one is refused before anything is stored. */
function nulProblems(fields: Record<string, string | undefined>): string[] {
  return Object.entries(fields)
    .filter(([, value]) => value?.includes('\u0000'))
    .map(([name]) => `the ${name} contains a NUL character (U+0000), which cannot be stored: remove it and try again`);
}

/** The source must parse before anything starts: a syntax error names its line and column. */
async function sourceProblems(source: KickoffRequest['source']): Promise<string[]> {
  const files: MigrationFile[] = [];
  if (source.format === 'sql') files.push({ path: 'the SQL', up: source.text });
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
      return typeof file?.path === 'string' && typeof file.up === 'string' && (file.down === undefined || typeof file.down === 'string');
    };
    if (!Array.isArray(parsed) || parsed.length === 0) return [`${shape}, with at least one file`];
    const bad = parsed.findIndex((f) => !isFile(f));
    if (bad >= 0) return [`${shape}: item ${bad} is ${JSON.stringify(parsed[bad])?.slice(0, 80)}`];
    files.push(...(parsed as MigrationFile[]));
  }
  if (source.format === 'spec') {
    try {
      await loadSpec(source.text, 'spec');
    } catch (error) {
      if (error instanceof SpecError) return [error.message];
      throw error;
    }
  }
  const problems: string[] = [];
  for (const file of files) {
    for (const [text, part] of [[file.up, file.path], [file.down, `${file.path} (down)`]] as const) {
      if (text === undefined) continue;
      await parseStatements(text, part).catch((error: unknown) => {
        if (!(error instanceof SqlSyntaxError)) throw error;
        problems.push(`${part}:${error.location.line}:${error.location.column}: ${error.reason}`);
      });
    }
  }
  return problems;
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
export async function startRequest(services: RequestServices, request: KickoffRequest): Promise<{ requestId: string; started: boolean }> {
  const problems = validateKickoff(request);
  if (!problems.length) problems.push(...(await sourceProblems(request.source)));
  if (problems.length) throw new RequestInputError(problems);
  const policy = gatePolicyOf(services, request);
  const requestId = request.clientRequestId ?? randomUUID();
  const source = await putArtifact(services.store, `source-${request.source.format}`, 'text/plain', request.source.text);
  const input: RequestInput = {
    requestId,
    kind: request.kind,
    title: request.title.trim() || `${request.kind} ${request.target}`,
    target: request.target,
    environment: request.environment,
    requester: request.requester,
    channel: request.channel,
    source: { ...source, format: request.source.format },
    policy,
    timings: services.timings,
    heartbeatSeconds: services.heartbeatSeconds,
    apply: services.apply,
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

export async function requestStatus(services: Pick<RequestServices, 'temporal'>, requestId: string): Promise<RequestStatusView> {
  try {
    return await services.temporal.workflow.getHandle(workflowIdOf(requestId)).query(status);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UnknownRequestError(requestId);
    throw error;
  }
}

/**
 * One decision from any channel. `actionId` is the caller's id for the action (Slack action, email
 * token, CLI invocation): it becomes the Update id, so a repeated click gets the first answer again.
 * A refusal comes back with the workflow's reason, and is audited.
 */
export async function decideRequest(services: Pick<RequestServices, 'temporal' | 'store'>, requestId: string, decision: DecisionInput, actionId?: string): Promise<DecisionReceipt> {
  const attempt = { action: 'decide', actor: decision.person, channel: decision.channel, question: decision.questionId, option: decision.optionId, ...(decision.comment ? { comment: decision.comment } : {}) };
  const [unstorable] = nulProblems({ comment: decision.comment, option: decision.optionId });
  if (unstorable) {
    await auditRefusal(services, { ...attempt, requestId, reason: unstorable });
    throw new RefusedError(unstorable);
  }
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  try {
    return await handle.executeUpdate(decide, { args: [decision], updateId: actionId });
  } catch (error) {
    throw await refusalOf(services, error, requestId, attempt);
  }
}

export async function cancelRequest(services: Pick<RequestServices, 'temporal' | 'store'>, requestId: string, request: CancelInput): Promise<RequestStatusView> {
  const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));
  try {
    return await handle.executeUpdate(cancel, { args: [request] });
  } catch (error) {
    throw await refusalOf(services, error, requestId, { action: 'cancel', actor: request.person });
  }
}

async function refusalOf(
  services: Pick<RequestServices, 'temporal' | 'store'>,
  error: unknown,
  requestId: string,
  attempt: { action: string; actor: string; channel?: Channel; question?: string; option?: string; comment?: string },
): Promise<unknown> {
  let reason: string;
  let target = 'unknown';
  if (error instanceof WorkflowUpdateFailedError) {
    reason = error.cause?.message ?? error.message;
    target = await requestStatus(services, requestId).then((view) => view.target, () => target);
  } else if (error instanceof WorkflowNotFoundError) {
    // An ended request no longer takes Updates, but still answers its status query.
    const ended = await requestStatus(services, requestId).catch(() => undefined);
    if (!ended) return new UnknownRequestError(requestId);
    reason = `request ${requestId} has ended (${ended.state}): it takes no more decisions${ended.outcome ? `; ${ended.outcome}` : ''}`;
    target = ended.target;
  } else {
    return error;
  }
  await auditRefusal(services, { ...attempt, requestId, target, reason });
  return new RefusedError(reason);
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
export async function auditRefusal(services: Pick<RequestServices, 'temporal' | 'store'>, attempt: RefusedAttempt, anonymous = anonymousRefusals): Promise<void> {
  const { actor, channel, requestId = NO_REQUEST, target, ...data } = attempt;
  const counted = (count: number, since: Date) =>
    appendAudit(services.store, { kind: 'refused', requestId: NO_REQUEST, target: 'unknown', actor: 'unknown', data: { action: 'many', count, since: since.toISOString(), reason: `${count} more attempts without a known actor were refused in the window from ${since.toISOString()}: counted, not written one by one` } });
  if (actor === 'unknown' && !anonymous.admit(counted)) return;
  const knownTarget = target ?? (requestId === NO_REQUEST ? undefined : await requestStatus(services, requestId).then((view) => view.target, () => undefined));
  await appendAudit(services.store, { kind: 'refused', requestId, target: knownTarget ?? 'unknown', actor, channel, data });
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
  const keys = { status: RequestStatus, target: RequestTarget, environment: RequestEnvironment, requester: Requester, kind: RequestKindKey } as const;
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
