import { decideRollout, rolloutWorkflowId, startRollout } from '../approvals/rollouts';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import { RefusedError } from '../approvals/requests';
import { databaseUrl } from '../store/database';
import { queryAudit } from '../store/audit';
import type { GatePolicy } from '../workflows/design-request-messages';
import { approvalQuestionId, targetRequestId, type RolloutTargetResult } from '../workflows/rollout-messages';
import { querySql, testPolicy } from './support/requests';
import { openQuestion, rolloutEnded, rolloutHarness, rolloutWhen, type RolloutHarness } from './support/rollouts';
import {
  connectTemporal,
  createTestStore,
  testStack,
  uniqueName,
  type TemporalConnections,
  type TestStore,
} from './support/stack';

const ORDERS = 'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)';
const ADD_NOTE = 'ALTER TABLE orders ADD COLUMN note text;';

/** A different approver per stage: ann for dev, bob for staging, carl for production; rita requests. */
const APPROVER: Record<string, string> = { dev: 'ann', staging: 'bob', production: 'carl' };
const perStage = (_group: string, environment: string): GatePolicy =>
  testPolicy({ approvers: [APPROVER[environment]!], backupApprovers: [] });

const columns = (name: string) =>
  querySql<{ column_name: string }>(
    databaseUrl(testStack().postgresAdminUrl, name),
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position`,
  ).then((rows) => rows.map((row) => row.column_name));

describe('a rollout promotes one reviewed change through environments, each approved by its own approvers', () => {
  let temporal: TemporalConnections;
  let store: TestStore;
  let harness: RolloutHarness;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await rolloutHarness(temporal, store.pool, {
      databases: 3,
      setup: ORDERS,
      policyFor: perStage,
      groups: ([dev, staging, production]) => [
        {
          name: 'shop-path',
          stages: [
            { environment: 'dev', targets: [dev!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 },
            { environment: 'staging', targets: [staging!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 },
            { environment: 'production', targets: [production!], waves: ['rest'], maxFailures: 0, pauseSeconds: 0 },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  it('dev, staging and production each wait for their own approver, who sees what the earlier stages did; one review serves all three', async () => {
    const { services, databases } = harness;
    const [dev, staging, production] = databases;
    const { rolloutId } = await startRollout(services, {
      group: 'shop-path',
      title: 'orders get a note',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: ADD_NOTE },
    });
    let view = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    // Three targets with one schema: one review.
    expect(view.reviews).toHaveLength(1);
    expect(view.targets.map((t) => [t.name, t.environment, t.state])).toEqual([
      [dev, 'dev', 'pending'],
      [staging, 'staging', 'pending'],
      [production, 'production', 'pending'],
    ]);
    const devQuestion = view.questions[0]!;
    expect(devQuestion.askedTo).toEqual(['ann']);
    expect(devQuestion.problem).toContain('This is the first stage.');
    // Production's approver cannot approve dev, and nothing is applied before dev's approver does.
    await expect(
      decideRollout(services, rolloutId, {
        questionId: devQuestion.id,
        optionId: 'apply',
        person: 'carl',
        channel: 'cli',
      }),
    ).rejects.toThrow(new RefusedError(`carl is not asked on '${devQuestion.id}': ann are`));
    expect(await columns(dev!)).toEqual(['id', 'total']);

    await decideRollout(services, rolloutId, {
      questionId: devQuestion.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    view = await rolloutWhen(services, rolloutId, 'staging asked', openQuestion('approve:staging:'));
    const stagingQuestion = view.questions.find((q) => q.id.startsWith('approve:staging:'))!;
    expect(stagingQuestion.askedTo).toEqual(['bob']);
    expect(stagingQuestion.problem).toContain('Earlier stages: dev: 1 applied.');
    expect(await columns(dev!)).toEqual(['id', 'total', 'note']);
    expect(await columns(staging!)).toEqual(['id', 'total']);

    await decideRollout(services, rolloutId, {
      questionId: stagingQuestion.id,
      optionId: 'apply',
      person: 'bob',
      channel: 'web',
    });
    view = await rolloutWhen(services, rolloutId, 'production asked', openQuestion('approve:production:'));
    const productionQuestion = view.questions.find((q) => q.id.startsWith('approve:production:'))!;
    expect(productionQuestion.problem).toContain('Earlier stages: dev: 1 applied; staging: 1 applied.');
    expect(await columns(production!)).toEqual(['id', 'total']);

    await decideRollout(services, rolloutId, {
      questionId: productionQuestion.id,
      optionId: 'apply',
      person: 'carl',
      channel: 'slack',
    });
    view = await rolloutWhen(services, rolloutId, 'ended', rolloutEnded);
    expect(view.state).toBe('completed');
    expect(view.targets.map((t) => t.state)).toEqual(['applied', 'applied', 'applied']);
    for (const name of databases) expect(await columns(name)).toEqual(['id', 'total', 'note']);

    // Each target is audited as a request of its own; the rollout's log has who approved each stage.
    const productionLog = await queryAudit(store.pool, { requestId: targetRequestId(rolloutId, production!) });
    expect(productionLog.map((e) => e.kind)).toEqual(['request-created', 'step-applied', 'completed']);
    expect(productionLog[0]!.data).toMatchObject({ approvedBy: ['carl'], environment: 'production' });
    const decisions = (await queryAudit(store.pool, { requestId: rolloutId })).filter((e) => e.kind === 'decision');
    expect(decisions.map((e) => [e.actor, (e.data as { question: string }).question.split(':')[1]])).toEqual([
      ['ann', 'dev'],
      ['bob', 'staging'],
      ['carl', 'production'],
    ]);
  });

  it('a child started straight through Temporal applies nothing: missing, forged or replayed approvals, or a target outside the rollout, are refused where the target is changed', async () => {
    const { services } = harness;
    // A fresh target with the schema the rollout above reviewed.
    const victim = uniqueName('sw_ro_victim');
    await querySql(
      testStack().postgresAdminUrl,
      `CREATE DATABASE "${victim}" TEMPLATE "${harness.databases[0]!.replace(/_\d+$/, '_template')}"`,
    );
    try {
      const { rolloutId } = await startRollout(services, {
        group: 'shop-path',
        title: 'orders get a note, again',
        requester: 'rita',
        channel: 'cli',
        source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN tag text;' },
      });
      const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
      const review = asked.reviews[0]!;
      const attacker = ephemeralDecisionSigner();
      const forge = (rollout: string, questionId: string, person: string) => {
        const updateId = `forged-${person}`;
        return {
          decision: attacker.sign(rollout, updateId, { questionId, optionId: 'apply', person, channel: 'cli' }),
          updateId,
        };
      };
      const question = (environment: string) =>
        approvalQuestionId(environment, review.migration.digest, review.fingerprint, asked.resolved.digest);
      const genuine = (environment: string, updateId: string) => ({
        decision: services.decisions.sign(rolloutId, updateId, {
          questionId: question(environment),
          optionId: 'apply',
          person: 'carl',
          channel: 'cli',
        }),
        updateId,
      });
      const child = (target: string, what: string, approvals: unknown[]): Promise<RolloutTargetResult> =>
        temporal.client.workflow.execute('rolloutTarget', {
          workflowId: `${rolloutWorkflowId(rolloutId)}/${target}/attack-${what.replace(/ /g, '-')}`,
          taskQueue: harness.taskQueue,
          args: [
            {
              rolloutId,
              environment: 'production',
              target,
              fingerprint: review.fingerprint,
              migration: review.migration,
              targets: asked.resolved,
              approvals,
            },
          ],
        });
      // Production's own target, before anyone approved production.
      const production = harness.databases[2]!;
      const attempts = {
        none: [],
        forged: [forge(rolloutId, question('production'), 'carl')],
        // A genuine approval of the dev stage, replayed for production.
        'another stage': [genuine('dev', 'genuine-dev')],
      };
      for (const [what, approvals] of Object.entries(attempts)) {
        expect(await child(production, what, approvals)).toEqual({
          outcome: 'failed',
          error: `target ${production} of rollout ${rolloutId} has 0 valid approval(s) of 1 needed for migration ${review.migration.digest} in production; nothing was applied: a rollout's targets are applied only by the rollout, after its approvers decided`,
        });
      }
      expect(await columns(production)).toEqual(['id', 'total', 'note']);
      // A genuine production approval, replayed for a database that is not one of the rollout's targets.
      expect(await child(victim, 'not a member', [genuine('production', 'genuine-production')])).toEqual({
        outcome: 'failed',
        error: `target ${victim} is not one of stage production of rollout ${rolloutId} (its targets are ${asked.resolved.digest}); nothing was applied`,
      });
      expect(await columns(victim)).toEqual(['id', 'total']);
      const audited = await queryAudit(store.pool, { requestId: targetRequestId(rolloutId, production) });
      expect(audited.map((e) => e.kind)).toEqual([
        'request-created',
        'failure',
        'request-created',
        'failure',
        'request-created',
        'failure',
      ]);
      const victimLog = await queryAudit(store.pool, { requestId: targetRequestId(rolloutId, victim) });
      expect(victimLog.map((e) => e.kind)).toEqual(['request-created', 'failure']);
    } finally {
      await querySql(testStack().postgresAdminUrl, `DROP DATABASE IF EXISTS "${victim}" WITH (FORCE)`);
    }
  });

  it("a child started straight through Temporal does not count the requester's own approval where the stage separates duties, whatever requester its input names", async () => {
    const { services } = harness;
    const production = harness.databases[2]!;
    // carl approves production, and here requests the rollout: the rollout refuses his approval, a forged child must too.
    const { rolloutId } = await startRollout(services, {
      group: 'shop-path',
      title: 'orders get a label',
      requester: 'carl',
      channel: 'cli',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN label text;' },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'));
    const review = asked.reviews[0]!;
    const questionId = approvalQuestionId(
      'production',
      review.migration.digest,
      review.fingerprint,
      asked.resolved.digest,
    );
    const updateId = 'genuine-but-own';
    const own = {
      decision: services.decisions.sign(rolloutId, updateId, {
        questionId,
        optionId: 'apply',
        person: 'carl',
        channel: 'slack',
      }),
      updateId,
    };
    const before = await columns(production);
    const result: RolloutTargetResult = await temporal.client.workflow.execute('rolloutTarget', {
      workflowId: `${rolloutWorkflowId(rolloutId)}/${production}/attack-own-approval`,
      taskQueue: harness.taskQueue,
      // A child's input names no requester; one forged into it changes nothing.
      args: [
        {
          rolloutId,
          requester: 'rita',
          environment: 'production',
          target: production,
          fingerprint: review.fingerprint,
          migration: review.migration,
          targets: asked.resolved,
          approvals: [own],
        },
      ],
    });
    expect(result).toEqual({
      outcome: 'failed',
      error: `target ${production} of rollout ${rolloutId} has 0 valid approval(s) of 1 needed for migration ${review.migration.digest} in production (the requester's own approval does not count: production separates duties); nothing was applied: a rollout's targets are applied only by the rollout, after its approvers decided`,
    });
    expect(await columns(production)).toEqual(before);
    const audited = await queryAudit(store.pool, { requestId: targetRequestId(rolloutId, production) });
    expect(audited.map((e) => e.kind)).toEqual(['request-created', 'failure']);
    expect(audited[1]!.data).toEqual(result);
  });
});
