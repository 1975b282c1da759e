import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { ephemeralDecisionSigner, type DecisionSigner } from '../approvals/decision-keys';
import { cancelRequest, decideRequest, startRequest, workflowIdOf } from '../approvals/requests';
import { updateIdFor } from '../approvals/signed-approvals';
import { putArtifact } from '../store/artifacts';
import { waitFor } from '../stack/wait';
import {
  cancel,
  decide,
  status,
  type DecisionInput,
  type GatePolicy,
  type RequestInput,
  type RequestResult,
} from '../workflows/design-request-messages';
import { atGate, ended, statusWhen, testPolicy, testSigner } from './support/requests';
import { uniqueName } from './support/stack';
import { auditOf, changeRequest, columnsOf, harnessForFile } from './support/target-lock';

const ORDERS = 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);';
/** The worker's policy: rita may approve others' requests, never her own. */
const WORKER_POLICY = testPolicy({ approvers: ['ann', 'bob', 'rita'] });
const opened = harnessForFile({ targetSetup: ORDERS, policy: WORKER_POLICY });

/**
 * A `designRequest` started straight on Temporal, as anyone who reaches the namespace can, with the
 * keys and policy of the starter's choosing; `workflowId` may differ from the request id it claims.
 */
async function startDirectly(
  sql: string,
  input: { requestId: string; workflowId?: string; keys: DecisionSigner; policy: GatePolicy; requester: string },
) {
  const { harness, store } = opened;
  const source = await putArtifact(store.pool, 'source-sql', 'text/plain', sql);
  const request: RequestInput = {
    requestId: input.requestId,
    kind: 'change',
    title: 'a change',
    target: harness.target.name,
    environment: 'production',
    requester: input.requester,
    channel: 'api',
    source: { ...source, format: 'sql' },
    policy: input.policy,
    timings: { remindEverySeconds: 3600, rerouteAfterSeconds: 7200, expireAfterSeconds: 86400 },
    heartbeatSeconds: 10,
    decisionKeys: input.keys.publicKeys,
  };
  const handle = await harness.services.temporal.workflow.start('designRequest', {
    workflowId: input.workflowId ?? workflowIdOf(input.requestId),
    taskQueue: harness.services.taskQueue,
    args: [request],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  await waitFor(
    `${handle.workflowId} at its gate`,
    async () => (atGate(await handle.query(status)) ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  return handle;
}

/** Sends a signed decision as an Update, as decideRequest does. */
async function sendDecision(handle: WorkflowHandle, approval: { decision: DecisionInput; updateId: string }) {
  await handle.executeUpdate(decide, { args: [approval.decision], updateId: approval.updateId });
}

function signed(signer: DecisionSigner, requestId: string, runId: string, person: string) {
  const updateId = updateIdFor(runId, `api-${uniqueName('u')}`);
  const decision: DecisionInput = { questionId: 'approve', optionId: 'apply', person, channel: 'api' };
  return { decision: signer.sign(requestId, updateId, decision), updateId };
}

async function refusedAndAudited(requestId: string, result: RequestResult, reason: RegExp): Promise<void> {
  expect(result.state).toBe('failed');
  expect(result.outcome).toMatch(reason);
  expect(result.outcome).toMatch(/nothing was applied/);
  const failures = await auditOf(opened.store.pool, requestId, 'failure');
  expect(failures).toEqual([expect.objectContaining({ outcome: result.outcome })]);
}

describe('the apply verifies a request’s approvals with the worker’s own keys and policy (real Temporal, real PostgreSQL)', () => {
  it('a request started on Temporal with its starter’s keys and policy, approved by its starter, changes nothing', async () => {
    const mallory = ephemeralDecisionSigner();
    const requestId = uniqueName('forged');
    const handle = await startDirectly('ALTER TABLE orders ADD COLUMN mallory text;', {
      requestId,
      keys: mallory,
      policy: { ...WORKER_POLICY, approvers: ['mallory'], separationOfDuties: false },
      requester: 'mallory',
    });
    const { runId } = await handle.describe();
    // The workflow takes it: its input says mallory's key signs, and mallory approves.
    await sendDecision(handle, signed(mallory, requestId, runId, 'mallory'));
    const result = await handle.result();

    await refusedAndAudited(requestId, result, /0 valid approval\(s\) of 1 needed on 'approve'/);
    expect(await columnsOf(opened.harness.target.url, 'orders')).not.toContain('mallory');
  });

  it('a genuine approval, decided through schemawright, still applies', async () => {
    const { services, target } = opened.harness;
    const { requestId } = await startRequest(
      services,
      changeRequest(target.name, { source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN genuine text;' } }),
    );
    const asked = await statusWhen(services, requestId, 'at the gate', atGate);
    await decideRequest(services, requestId, {
      questionId: asked.questions[0]!.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toContain('genuine');
  });

  it('an approval signed for another request is refused where the target changes', async () => {
    const { services, target } = opened.harness;
    const { requestId: other } = await startRequest(services, changeRequest(target.name));
    await statusWhen(services, other, 'at the gate', atGate);
    const otherRun = (await services.temporal.workflow.getHandle(workflowIdOf(other)).describe()).runId;
    // ann's genuine approval of the other request, as its history shows it, replayed in a workflow claiming its id.
    const replayed = signed(testSigner, other, otherRun, 'ann');
    const handle = await startDirectly('ALTER TABLE orders ADD COLUMN replayed text;', {
      requestId: other,
      workflowId: uniqueName('request-forged'),
      keys: testSigner,
      policy: WORKER_POLICY,
      requester: 'rita',
    });
    await sendDecision(handle, replayed);
    const result = await handle.result();

    expect(result.state).toBe('failed');
    expect(result.outcome).toMatch(/0 valid approval\(s\) of 1 needed on 'approve'; nothing was applied/);
    expect(await columnsOf(target.url, 'orders')).not.toContain('replayed');
  });

  it('an approval of a request’s earlier run, with another migration, is refused in a later run of the same id', async () => {
    const { harness } = opened;
    const requestId = uniqueName('rerun');
    const first = await startDirectly('ALTER TABLE orders ADD COLUMN first_run text;', {
      requestId,
      keys: testSigner,
      policy: WORKER_POLICY,
      requester: 'rita',
    });
    const approval = signed(testSigner, requestId, (await first.describe()).runId, 'ann');
    await sendDecision(first, approval);
    expect((await first.result()).state).toBe('completed');
    expect(await columnsOf(harness.target.url, 'orders')).toContain('first_run');

    // The same id started again with another migration, and ann's approval of the first sent again.
    const second = await startDirectly('ALTER TABLE orders ADD COLUMN second_run text;', {
      requestId,
      keys: testSigner,
      policy: WORKER_POLICY,
      requester: 'rita',
    });
    await sendDecision(second, approval);
    const result = await second.result();

    expect(result.state).toBe('failed');
    expect(result.outcome).toMatch(/0 valid approval\(s\) of 1 needed on 'approve'; nothing was applied/);
    expect(await columnsOf(harness.target.url, 'orders')).not.toContain('second_run');
  });

  it('the requester’s own approval is refused where the worker’s policy separates duties', async () => {
    const requestId = uniqueName('own');
    const handle = await startDirectly('ALTER TABLE orders ADD COLUMN own text;', {
      requestId,
      keys: testSigner,
      // The input's policy lets rita decide her own request; the worker's does not.
      policy: { ...WORKER_POLICY, separationOfDuties: false },
      requester: 'rita',
    });
    await sendDecision(handle, signed(testSigner, requestId, (await handle.describe()).runId, 'rita'));
    const result = await handle.result();

    await refusedAndAudited(requestId, result, /other than the requester rita/);
    expect(await columnsOf(opened.harness.target.url, 'orders')).not.toContain('own');
  });

  it('a cancel sent straight to Temporal in the requester’s name is refused; one through schemawright cancels', async () => {
    const { services, target } = opened.harness;
    const { requestId } = await startRequest(services, changeRequest(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const handle = services.temporal.workflow.getHandle(workflowIdOf(requestId));

    await expect(handle.executeUpdate(cancel, { args: [{ person: 'rita' }] })).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/^the decision is not signed/) }),
    });
    expect((await handle.query(status)).state).toBe('awaiting-approval');
    const refusals = await auditOf(opened.store.pool, requestId, 'refused');
    expect(refusals).toEqual([
      expect.objectContaining({ action: 'cancel', claimedPerson: 'rita', reason: expect.stringMatching(/not signed/) }),
    ]);

    await cancelRequest(services, requestId, { person: 'rita', reason: 'wrong table' });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('cancelled');
  });
});
