import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { ConfigError } from '../config/environment';
import { listDatabases, resolveGroup, type TargetGroup } from '../config/target-groups';
import { putArtifact, putJson } from '../store/artifacts';
import type { Channel, DecisionInput, DecisionReceipt } from '../workflows/design-request-messages';
import {
  controlDecision,
  rolloutControl,
  rolloutDecide,
  rolloutStatus,
  type ControlAction,
  rolloutWorkflowId,
  type RolloutInput,
  type RolloutState,
  type RolloutTargets,
  type RolloutStatusView,
} from '../workflows/rollout-messages';
import {
  Requester,
  RequestKind,
  RequestStatus,
  RolloutGroup,
  RolloutId,
  RolloutStage,
} from '../workflows/search-attributes';
import { PolicyError } from './policy';
import {
  quoteVisibility,
  decideRequest,
  refusalOf,
  RequestInputError,
  sourceName,
  sourceProblems,
  UnknownRequestError,
  type RequestServices,
} from './requests';

/** Where a rollout runs in Temporal: its clients find it by this id. */
export { rolloutWorkflowId };

/**
 * The one path by which a channel starts, follows, decides and controls a rollout: the same
 * services, signer and refusals as a request's (approvals/requests.ts).
 */
export interface RolloutServices extends RequestServices {
  groups: readonly TargetGroup[];
}

export interface KickoffRollout {
  clientRolloutId?: string;
  group: string;
  title: string;
  requester: string;
  channel: Channel;
  source: { format: 'spec' | 'sql' | 'migrations'; text: string; name?: string };
  /** Children applied at once within a wave (default 10). */
  concurrency?: number;
  /** History events after which the rollout continues as a new run (default 5,000): tests and benchmarks lower it. */
  continueAfterEvents?: number;
}

/**
 * Resolves the group's stages (a pattern lists the databases of its server now: the rollout
 * changes those and no others), stores the source, and starts the rollout; a repeated client id
 * returns the rollout it started.
 */
export async function startRollout(
  services: RolloutServices,
  request: KickoffRollout,
): Promise<{ rolloutId: string; started: boolean; targets: number }> {
  const group = services.groups.find((g) => g.name === request.group);
  if (!group)
    throw new RequestInputError([
      `the approval policy has no group '${request.group}'${services.groups.length ? ` (it has ${services.groups.map((g) => g.name).join(', ')})` : ''}: an admin adds it under groups`,
    ]);
  if (!request.requester?.trim()) throw new RequestInputError(['a rollout names its requester']);
  const problems = await sourceProblems(request.source);
  if (problems.length) throw new RequestInputError(problems);
  const { rows } = await services.store.query<{ name: string }>('SELECT current_database() AS name');
  let stages: RolloutInput['stages'];
  try {
    const resolved = await resolveGroup(
      group,
      {
        listDatabases: (pattern) => listDatabases((sql, values) => services.store.query(sql, values), pattern),
        storeDatabase: rows[0]!.name,
      },
      services.policyTargets ?? [],
    );
    stages = resolved.map((stage) => ({ ...stage, policy: services.gatePolicyFor(group.name, stage.environment) }));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyError) throw new RequestInputError([error.message]);
    throw error;
  }
  const rolloutId = request.clientRolloutId ?? randomUUID();
  const source = await putArtifact(
    services.store,
    `source-${request.source.format}`,
    'text/plain',
    request.source.text,
  );
  const targets = await putJson(services.store, 'rollout-targets', {
    group: group.name,
    stages: stages.map(({ environment, targets: names }) => ({ environment, targets: names })),
  } satisfies RolloutTargets);
  const input: RolloutInput = {
    rolloutId,
    title: request.title.trim() || `rollout over ${group.name}`,
    group: group.name,
    requester: request.requester,
    channel: request.channel,
    source: { ...source, format: request.source.format, name: sourceName(request.source.name) },
    stages,
    targets,
    timings: services.timings,
    heartbeatSeconds: services.heartbeatSeconds,
    apply: services.apply,
    decisionKeys: services.decisions.publicKeys,
    concurrency: request.concurrency,
    continueAfterEvents: request.continueAfterEvents,
  };
  const count = stages.reduce((n, stage) => n + stage.targets.length, 0);
  try {
    await services.temporal.workflow.start('rollout', {
      workflowId: rolloutWorkflowId(rolloutId),
      taskQueue: services.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: RequestKind, value: 'rollout' },
        { key: RequestStatus, value: 'running' satisfies RolloutState },
        { key: Requester, value: request.requester },
        { key: RolloutId, value: rolloutId },
        { key: RolloutGroup, value: group.name },
      ],
    });
    return { rolloutId, started: true, targets: count };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { rolloutId, started: false, targets: count };
    throw error;
  }
}

export async function rolloutStatusOf(
  services: Pick<RequestServices, 'temporal'>,
  rolloutId: string,
): Promise<RolloutStatusView> {
  try {
    return await services.temporal.workflow.getHandle(rolloutWorkflowId(rolloutId)).query(rolloutStatus);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UnknownRequestError(rolloutId);
    throw error;
  }
}

/** A decision on a rollout's question, signed for the rollout and this Update like a request's. */
export async function decideRollout(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  rolloutId: string,
  decision: DecisionInput,
  actionId?: string,
): Promise<DecisionReceipt> {
  const updateId = actionId ?? `${decision.channel}-${randomUUID()}`;
  const handle = services.temporal.workflow.getHandle(rolloutWorkflowId(rolloutId));
  try {
    return await handle.executeUpdate(rolloutDecide, {
      args: [services.decisions.sign(rolloutId, updateId, decision)],
      updateId,
    });
  } catch (error) {
    throw await refusalOf(services, error, rolloutId, {
      action: 'decide',
      actor: decision.person,
      channel: decision.channel,
      requestId: rolloutId,
      question: decision.questionId,
      option: decision.optionId,
    });
  }
}

/**
 * A decision from a channel on a question it delivered: a rollout's when the channel's own signed
 * message said so (the email link's token, Slack's signed button), a request's otherwise.
 */
export function decideAsked(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  asked: { requestId: string; rollout?: boolean },
  decision: DecisionInput,
  actionId?: string,
): Promise<DecisionReceipt> {
  return (asked.rollout ? decideRollout : decideRequest)(services, asked.requestId, decision, actionId);
}

/** Pause, resume, skip or retry a target, or abort the rest: signed, validated and audited by the rollout. */
export async function controlRollout(
  services: Pick<RequestServices, 'temporal' | 'store' | 'decisions'>,
  rolloutId: string,
  control: { action: ControlAction; target?: string; person: string; channel: Channel; comment?: string },
): Promise<RolloutStatusView> {
  const updateId = `${control.channel}-${randomUUID()}`;
  const decision: DecisionInput = {
    ...controlDecision(control.action, control.target),
    person: control.person,
    channel: control.channel,
    ...(control.comment ? { comment: control.comment } : {}),
  };
  const handle = services.temporal.workflow.getHandle(rolloutWorkflowId(rolloutId));
  try {
    return await handle.executeUpdate(rolloutControl, {
      args: [{ decision: services.decisions.sign(rolloutId, updateId, decision) }],
      updateId,
    });
  } catch (error) {
    throw await refusalOf(services, error, rolloutId, {
      action: 'control',
      actor: control.person,
      channel: control.channel,
      requestId: rolloutId,
      control: decision.optionId,
    });
  }
}

export interface RolloutSummary {
  rolloutId: string;
  status: string;
  group: string;
  /** The stage it is in, or ended in; empty before its first wave and for runs older than the attribute. */
  stage: string;
  requester: string;
  startTime: Date;
}

/** Rollouts from Temporal visibility, newest first: filters are search-attribute equalities. */
export async function listRollouts(
  services: Pick<RequestServices, 'temporal' | 'taskQueue'>,
  filters: { status?: string; group?: string; stage?: string } = {},
): Promise<RolloutSummary[]> {
  const clauses = [`WorkflowType = 'rollout'`, `TaskQueue = '${quoteVisibility(services.taskQueue)}'`];
  const keys = { status: RequestStatus, group: RolloutGroup, stage: RolloutStage } as const;
  for (const [name, key] of Object.entries(keys)) {
    const value = filters[name as keyof typeof filters];
    if (value) clauses.push(`${key.name} = '${quoteVisibility(value)}'`);
  }
  const summaries: RolloutSummary[] = [];
  for await (const execution of services.temporal.workflow.list({ query: clauses.join(' AND ') })) {
    const attributes = execution.typedSearchAttributes;
    summaries.push({
      rolloutId: execution.workflowId.replace(/^rollout-/, ''),
      status: attributes.get(RequestStatus) ?? 'unknown',
      group: attributes.get(RolloutGroup) ?? '',
      stage: attributes.get(RolloutStage) ?? '',
      requester: attributes.get(Requester) ?? '',
      startTime: execution.startTime,
    });
  }
  // The dev server's SQLite visibility ignores ORDER BY: sort here, newest first.
  return summaries.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}
