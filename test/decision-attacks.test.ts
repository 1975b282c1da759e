import type { Server } from 'node:http';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Pool } from 'pg';
import { queryAudit } from '../store/audit';
import { atGate, requestHarness, statusWhen, testPolicy, testSigner, type RequestHarness } from './support/requests';
import {
  connectTemporal,
  createTestStore,
  uniqueName,
  workflowBundle,
  type TemporalConnections,
} from './support/stack';
import {
  decide,
  type DecisionInput,
  type DecisionKeys,
  type RequestStatusView,
} from '../workflows/design-request-messages';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import { startRequest, workflowIdOf } from '../approvals/requests';
import { parseTokenKeys } from '../approvals/email/tokens';
import { loadPolicy } from '../approvals/policy';
import { parseApiTokens } from '../approvals/web/http';
import { createWebServer, listen } from '../approvals/web/server';

const APPROVERS = Array.from({ length: 25 }, (_, n) => `approver${String(n).padStart(2, '0')}`);
const tokenOf = (person: string) => `${person}-token-0123456789`;

describe('attacks on decisions, over real HTTP and straight to Temporal, against the real workflow and store', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool, { policy: testPolicy({ approvers: APPROVERS, quorum: 3 }) });
    const apiTokens = parseApiTokens(['rita', ...APPROVERS].map((person) => `${person}:${tokenOf(person)}`).join(','));
    server = createWebServer({
      services: { ...harness.services, policy: loadPolicy() },
      tokenKeys: parseTokenKeys(`k1:${'w'.repeat(40)}`),
      apiTokens,
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  const post = (path: string, person: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf(person)}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  /** A request waiting for its approval question; its own table, since an approved one is applied. */
  async function startAtGate(): Promise<{ requestId: string; question: RequestStatusView['questions'][number] }> {
    const source = { format: 'sql', text: `CREATE TABLE ${uniqueName('note')} (id bigint PRIMARY KEY);` };
    const response = await post('/api/requests', 'rita', {
      kind: 'change',
      target: harness.target.name,
      environment: 'production',
      source,
    });
    expect(response.status).toBe(201);
    const { requestId } = (await response.json()) as { requestId: string };
    const [question] = (await statusWhen(harness.services, requestId, 'the approval question', atGate, 30_000))
      .questions;
    return { requestId, question };
  }

  /** Sends the Update as anyone who reaches the Temporal frontend can: no channel, no link, no token. */
  const straightToTemporal = (requestId: string, decision: DecisionInput, updateId?: string) =>
    temporal.client.workflow
      .getHandle(workflowIdOf(requestId))
      .executeUpdate(decide, { args: [decision], updateId })
      .then(
        () => 'accepted',
        (error: unknown) => (error instanceof WorkflowUpdateFailedError ? error.cause?.message : error),
      );

  it('the signature check is loaded once for all workflows of a worker thread (its copy in each built a ~30 ms table per decision)', async () => {
    const { code } = await workflowBundle();
    expect(code).toMatch(
      /preloadModules\(\) \{\s*__webpack_require__\([^)]*"\.\/workflows\/decision-signature\.[jt]s"\)/,
    );
  });

  it("a decision sent straight to Temporal in someone else's name is refused unless their channel signed it, and each refusal is audited", async () => {
    const { requestId, question } = await startAtGate();
    const forged: DecisionInput = {
      questionId: question.id,
      optionId: question.recommendation.optionId,
      person: APPROVERS[1],
      channel: 'email',
    };
    const genuine = testSigner.sign(requestId, 'api-genuine', { ...forged, channel: 'api' });
    const attempts = [
      await straightToTemporal(requestId, forged),
      await straightToTemporal(requestId, ephemeralDecisionSigner().sign(requestId, 'forged-1', forged), 'forged-1'),
      await straightToTemporal(requestId, { ...genuine, person: APPROVERS[2] }, 'api-genuine'),
      await straightToTemporal(requestId, genuine, 'another-update'),
      await straightToTemporal(
        requestId,
        { ...testSigner.sign(requestId, 'cli-1', { ...forged, channel: 'cli' }), channel: 'email' },
        'cli-1',
      ),
    ];
    const unsigned =
      'the decision is not signed: decide through schemawright (email link, Slack, the API, or the CLI with the operator key), not with an Update sent to Temporal';
    const badSignature = (channel: string) =>
      `the decision's signature does not verify with the ${channel} key this request was started with: it was altered, signed for another request or Update, or signed with another key (see SCHEMAWRIGHT_DECISION_KEY and SCHEMAWRIGHT_OPERATOR_KEY in the README)`;
    expect(attempts).toEqual([
      unsigned,
      badSignature('email'),
      badSignature('api'),
      badSignature('api'),
      badSignature('email'),
    ]);
    expect((await statusWhen(harness.services, requestId, 'still open', atGate)).questions[0].votes).toEqual([]);

    const refusals = (await queryAudit(store.pool, { requestId })).filter((e) => e.kind === 'refused');
    expect(refusals.map((e) => [e.actor, e.channel, e.target, e.data.claimedPerson, e.data.reason])).toEqual([
      ['unknown', null, harness.target.name, APPROVERS[1], unsigned],
      ['unknown', null, harness.target.name, APPROVERS[1], badSignature('email')],
      ['unknown', null, harness.target.name, APPROVERS[2], badSignature('api')],
      ['unknown', null, harness.target.name, APPROVERS[1], badSignature('api')],
      ['unknown', null, harness.target.name, APPROVERS[1], badSignature('email')],
    ]);

    // The same decision through the API is signed by the web server, and counts.
    const response = await post(`/api/requests/${requestId}/decisions`, APPROVERS[1], {
      questionId: question.id,
      optionId: question.recommendation.optionId,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ person: APPROVERS[1], questionState: 'open', votes: 1, quorum: 3 });
  });

  it('a request started before decisions were signed takes none, since it cannot tell a real one from a forged one', async () => {
    const unsignedServices = {
      ...harness.services,
      decisions: { ...testSigner, publicKeys: undefined as unknown as DecisionKeys },
    };
    const { requestId } = await startRequest(unsignedServices, {
      kind: 'change',
      title: 'old',
      target: harness.target.name,
      environment: 'production',
      requester: 'rita',
      channel: 'api',
      source: { format: 'sql', text: 'CREATE TABLE note (id bigint PRIMARY KEY);' },
    });
    const [question] = (await statusWhen(harness.services, requestId, 'the approval question', atGate, 30_000))
      .questions;
    const response = await post(`/api/requests/${requestId}/decisions`, APPROVERS[0], {
      questionId: question.id,
      optionId: question.recommendation.optionId,
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: `request ${requestId} was started before decisions were signed, so it cannot tell ${APPROVERS[0]}'s decision from a forged one and takes none: cancel it and start it again`,
    });
  });

  it('200 decisions at once: each answer is the real outcome, a 409 or a 429, never a 500; every refusal is audited; receipts count the votes', async () => {
    const { requestId, question } = await startAtGate();
    const decision = { questionId: question.id, optionId: question.recommendation.optionId };
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, n) => {
        const person = APPROVERS[n % APPROVERS.length];
        const response = await post(`/api/requests/${requestId}/decisions`, person, decision);
        return {
          person,
          status: response.status,
          body: (await response.json()) as { error?: string; questionState?: string; votes?: number; quorum?: number },
        };
      }),
    );
    const byStatus = (status: number) => answers.filter((a) => a.status === status);
    expect(answers.filter((a) => ![200, 409, 429].includes(a.status)).map((a) => [a.status, a.body.error])).toEqual([]);
    const recorded = byStatus(200);
    expect(recorded.map((a) => [a.body.votes, a.body.questionState]).sort()).toEqual([
      [1, 'open'],
      [2, 'open'],
      [3, 'decided'],
    ]);
    const view = await statusWhen(
      harness.services,
      requestId,
      'the vote counted',
      (v) => v.questions[0].state === 'decided',
    );
    expect(view.questions[0].votes.map((v) => v.person).sort()).toEqual(recorded.map((a) => a.person).sort());

    const refused = answers.filter((a) => a.status !== 200);
    // A refusal is audited before it is answered.
    const audited = (await queryAudit(store.pool, { requestId }))
      .filter((e) => e.kind === 'refused')
      .map((e) => JSON.stringify([e.actor, e.data.reason]));
    const unaudited = refused
      .map((a) => JSON.stringify([a.person, a.body.error]))
      .filter((answer) => {
        const at = audited.indexOf(answer);
        if (at >= 0) audited.splice(at, 1);
        return at < 0;
      });
    expect(unaudited).toEqual([]);
  });

  it('an Idempotency-Key repeated with the same decision gets the first receipt; with another decision it is refused (422) and audited', async () => {
    const { requestId, question } = await startAtGate();
    const decision = { questionId: question.id, optionId: question.recommendation.optionId };
    const decideWith = (body: unknown) =>
      post(`/api/requests/${requestId}/decisions`, APPROVERS[0], body, { 'idempotency-key': 'key-1' });
    const first = await decideWith(decision);
    expect(first.status).toBe(200);
    const receipt = await first.json();
    const again = await decideWith(decision);
    expect([again.status, await again.json()]).toEqual([200, receipt]);

    const other = await decideWith({ ...decision, optionId: 'reject', comment: 'changed my mind' });
    const reason = `this repeats the id of an earlier decision (api-${APPROVERS[0]}-key-1) with another content: that one chose '${decision.optionId}' on '${question.id}' and stands; use a new Idempotency-Key for a new decision`;
    expect([other.status, await other.json()]).toEqual([422, { error: reason }]);
    const refusals = (await queryAudit(store.pool, { requestId })).filter((e) => e.kind === 'refused');
    expect(refusals.map((e) => [e.actor, e.channel, e.data.option, e.data.reason])).toEqual([
      [APPROVERS[0], 'api', 'reject', reason],
    ]);
    expect(
      (await statusWhen(harness.services, requestId, 'one vote', atGate)).questions[0].votes.map((v) => [
        v.person,
        v.optionId,
      ]),
    ).toEqual([[APPROVERS[0], decision.optionId]]);
  });
});
