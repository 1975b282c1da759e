import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient, type Pool } from 'pg';
import nodemailer from 'nodemailer';
import { parseTokenKeys } from '../approvals/email/tokens';
import { createNotifier } from '../approvals/notify';
import { loadPolicy } from '../approvals/policy';
import { freePort } from '../stack/ports';
import { getArtifact } from '../store/artifacts';
import { queryAudit } from '../store/audit';
import {
  cancelRequest,
  decideRequest,
  listRequests,
  RefusedError,
  RequestInputError,
  requestStatus,
  startRequest,
  workflowIdOf,
  type KickoffRequest,
} from '../approvals/requests';
import { waitFor } from '../stack/wait';
import { applyMigrations } from '../activities/apply';
import { migrationsFromFiles } from '../postgres/steps';
import type { RequestStatusView } from '../workflows/design-request-messages';
import { connectTemporal, createTestStore, type TemporalConnections } from './support/stack';
import {
  atGate,
  ended,
  querySql,
  requestHarness,
  runSql,
  statusWhen,
  testPolicy,
  type RequestHarness,
} from './support/requests';
import { changeRequest } from './support/target-lock';
import { localActivityOf } from './support/history-events';

const ORDERS = `CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());`;
const ADD_NOTE = 'ALTER TABLE orders ADD COLUMN note text;';

/** The test's request: a change adding a note to orders. */
const change = changeRequest;

async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await querySql<{ column_name: string }>(
    url,
    `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

async function appliedSteps(url: string): Promise<number> {
  const rows = await querySql<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM schemawright.migration_history WHERE status = 'applied'`,
  ).catch(() => [{ n: '0' }]);
  return Number(rows[0].n);
}

/** An approver answers every open question with schemawright's recommendation. */
async function decideAll(
  services: Parameters<typeof decideRequest>[0],
  requestId: string,
  view: Awaited<ReturnType<typeof requestStatus>>,
): Promise<void> {
  for (const question of view.questions.filter((q) => q.state === 'open')) {
    await decideRequest(services, requestId, {
      questionId: question.id,
      optionId: question.recommendation.optionId,
      person: 'ann',
      channel: 'cli',
    });
  }
}

async function auditKinds(store: Pool, requestId: string): Promise<string[]> {
  const { rows } = await store.query<{ kind: string }>(
    'SELECT kind FROM audit_log WHERE request_id = $1 ORDER BY seq',
    [requestId],
  );
  return rows.map((r) => r.kind);
}

describe('the design-request workflow on a real Temporal server and real PostgreSQL', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  const harnesses: RequestHarness[] = [];

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
  });
  afterAll(async () => {
    for (const harness of harnesses) await harness.close();
    await store?.close();
    await temporal?.close();
  });

  async function harness(options: Parameters<typeof requestHarness>[2] = {}): Promise<RequestHarness> {
    const made = await requestHarness(temporal, store.pool, { targetSetup: ORDERS, ...options });
    harnesses.push(made);
    return made;
  }

  it('refuses bad input before anything starts', async () => {
    const { services, target } = await harness();
    const error = await startRequest(services, change(target.name, { kind: 'chnage' as never, environment: '' })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestInputError);
    expect((error as Error).message).toBe(
      "the request was not started: kind must be design, change, review or revert (got 'chnage'); environment must be a name like 'production', got ''",
    );
    expect(await listRequests(services, { target: target.name })).toEqual([]);
  });

  it('refuses a migration directory that is not a list of files, and SQL that does not parse, naming where', async () => {
    const { services, target } = await harness();
    const start = (source: KickoffRequest['source']) =>
      startRequest(services, change(target.name, { source })).catch((e: unknown) => e);
    expect(await start({ format: 'migrations', text: '[{"path": "001_a.up.sql"}]' })).toEqual(
      new RequestInputError([
        'the migrations must be JSON of [{ "path": string, "up": string, "down"?: string }]: item 0 is {"path":"001_a.up.sql"}',
      ]),
    );
    expect(
      await start({
        format: 'migrations',
        text: JSON.stringify([{ path: '001_a.up.sql', up: 'CREATE TABLE a (id int);', down: 'DROP TABLE a b c;' }]),
      }),
    ).toEqual(new RequestInputError(['001_a.up.sql (down):1:14: syntax error at or near "b"']));
    expect(await listRequests(services, { target: target.name })).toEqual([]);
  });

  it('a channel that is down does not hold up the request: the failed notification is audited', async () => {
    const unreachable = nodemailer.createTransport({
      host: '127.0.0.1',
      port: await freePort(),
      secure: false,
      ignoreTLS: true,
    });
    const notify = createNotifier({
      store: store.pool,
      policy: loadPolicy(),
      mailer: unreachable,
      webBaseUrl: 'http://approvals.test',
      tokenKeys: parseTokenKeys(`k:${'x'.repeat(32)}`),
    });
    const { services, target } = await harness({ notify });
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');
    // The final result is told after the request shows done.
    const failed = await waitFor('the failed result mail in the audit log', async () => {
      const entries = (await queryAudit(store.pool, { requestId })).filter((e) => e.kind === 'notification-failed');
      return entries.some((e) => e.data.notification === 'completed') ? entries : undefined;
    });
    expect(failed.map((e) => e.data.notification)).toEqual(expect.arrayContaining(['question', 'completed']));
    expect(String(failed[0]!.data.error)).toMatch(/ECONNREFUSED/);
  });

  it('change: reviewed, approved by an approver, applied exactly once, audited', async () => {
    const { services, target } = await harness();
    const kickoff = change(target.name);
    const { requestId, started } = await startRequest(services, kickoff);
    expect(started).toBe(true);
    expect(await startRequest(services, kickoff)).toEqual({ requestId, started: false });

    const gate = await statusWhen(services, requestId, 'at the gate', atGate);
    expect(gate.questions.map((q) => [q.id, q.state, q.options.map((o) => o.id)])).toEqual([
      ['approve', 'open', ['apply', 'reject']],
    ]);
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at']);

    const receipt = await decideRequest(
      services,
      requestId,
      { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' },
      'click-1',
    );
    expect(receipt).toMatchObject({ questionState: 'decided', votes: 1, quorum: 1 });
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'note']);
    expect(await appliedSteps(target.url)).toBe(1);
    expect(await auditKinds(store.pool, requestId)).toEqual(
      expect.arrayContaining(['request-created', 'phase-done', 'question-raised', 'decision', 'completed']),
    );
  });

  it("a decision's Update only records the vote; the main line audits and tells each transition in one call each", async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');

    const history = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).fetchHistory();
    const events = history.events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const completed = events.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    // Answered in the workflow task that accepted it: the handler awaited nothing.
    expect(accepted).toBeGreaterThan(0);
    expect(events.slice(accepted, completed).some((e) => e.workflowTaskCompletedEventAttributes)).toBe(false);
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(activities).not.toContain('audit');
    expect(activities).not.toContain('notify');
    // Audits and the report run inside the workflow task (local activities): not through the server.
    expect(activities).not.toContain('auditBatch');
    expect(activities).not.toContain('writeReport');
    const calls = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    // The report and the end's entries in one of them, not two: each is ~10 ms of scheduling before done.
    const locals = calls.map(localActivityOf);
    expect(locals.at(-1)).toBe('endRequest');
    // The decision's workflow task runs no local activity: the apply appends what led to it itself.
    const applyScheduled = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyReviewed',
    );
    expect(events.slice(accepted, applyScheduled).map(localActivityOf).filter(Boolean)).toEqual([]);
    expect(locals).not.toContain('writeReport');
    // A transition's entries in one call, so in one transaction (the rows' xmin): the decision goes
    // with the next phase's start.
    const { rows } = await store.pool.query<{ kind: string; batch: string }>(
      'SELECT kind, xmin::text AS batch FROM audit_log WHERE request_id = $1 ORDER BY seq',
      [requestId],
    );
    const byBatch = new Map<string, string[]>();
    for (const { kind, batch } of rows) byBatch.set(batch, [...(byBatch.get(batch) ?? []), kind]);
    const batches = [...byBatch.values()];
    // Less than one call for two entries; one of the calls writes the report.
    expect(calls.length - 1).toBeLessThan(rows.length / 2);
    expect(batches).toContainEqual(['decision', 'phase-started']);
    expect(await auditKinds(store.pool, requestId)).toEqual(
      expect.arrayContaining(['request-created', 'question-raised', 'decision', 'completed']),
    );
  });

  it('parked requests beyond the workflow cache are evicted and replayed when decided, each applied once', async () => {
    const { services, target } = await harness({ maxCachedWorkflows: 1 });
    const ids: string[] = [];
    for (const column of ['a', 'b', 'c'])
      ids.push(
        (
          await startRequest(
            services,
            change(target.name, { source: { format: 'sql', text: `ALTER TABLE orders ADD COLUMN ${column} text;` } }),
          )
        ).requestId,
      );
    for (const id of ids) await statusWhen(services, id, 'at the gate', atGate);
    for (const id of ids)
      await decideRequest(services, id, { questionId: 'approve', optionId: 'apply', person: 'ann', channel: 'cli' });
    // One target: the first to apply moves the schema the others were reviewed on, so they are
    // reviewed and asked again (approve#2, #3), never applied blind.
    const asked = (v: RequestStatusView) => atGate(v) && v.questions.some((q) => q.state === 'open');
    for (const id of ids) {
      for (;;) {
        const view = await statusWhen(services, id, 'asked or done', (v) => asked(v) || ended(v));
        if (ended(view)) break;
        const open = view.questions.find((q) => q.state === 'open')!;
        expect(open.id).toMatch(/^approve#[23]$/);
        await decideRequest(services, id, { questionId: open.id, optionId: 'apply', person: 'ann', channel: 'cli' });
      }
      expect((await statusWhen(services, id, 'done', ended)).state).toBe('completed');
    }
    // Whichever took the apply lock first applied first.
    expect((await columnsOf(target.url, 'orders')).sort()).toEqual(['a', 'b', 'c', 'id', 'placed_at']);
    expect(await appliedSteps(target.url)).toBe(3);
  });

  it('a migration directory: what the target already applied is left out; an applied file edited since stops the request before anyone is asked', async () => {
    const { services, target } = await harness();
    const first = { path: '001_note.up.sql', up: ADD_NOTE, down: 'ALTER TABLE orders DROP COLUMN note;' };
    const second = {
      path: '002_total.up.sql',
      up: 'ALTER TABLE orders ADD COLUMN total numeric;',
      down: 'ALTER TABLE orders DROP COLUMN total;',
    };
    await applyMigrations({ name: target.name, connectionString: target.url }, await migrationsFromFiles([first]), {
      requestId: 'earlier',
      decidedBy: ['ann'],
    });
    const directory = (files: object[]) =>
      change(target.name, { source: { format: 'migrations', text: JSON.stringify(files) } });

    const { requestId } = await startRequest(services, directory([first, second]));
    await statusWhen(services, requestId, 'at the gate', atGate);
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'note', 'total']);

    const edited = await startRequest(
      services,
      directory([{ ...first, up: 'ALTER TABLE orders ADD COLUMN note varchar(200);' }, second]),
    );
    const stopped = await statusWhen(services, edited.requestId, 'done', ended);
    expect(stopped.state).toBe('failed');
    expect(stopped.outcome).toMatch(
      /migration 001 \(001_note\.up\.sql\) was applied with checksum .* an applied migration was edited/,
    );
    expect(stopped.questions).toEqual([]);
  });

  it('review: the findings of a live database become a fix migration, approved and applied', async () => {
    const { services, target } = await harness({
      targetSetup: `${ORDERS} CREATE TABLE order_line (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders);`,
    });
    const { requestId } = await startRequest(services, {
      ...change(target.name),
      kind: 'review',
      title: 'review shop',
      source: { format: 'sql', text: '' },
    });
    const gate = await statusWhen(services, requestId, 'at the gate', atGate);
    await decideAll(services, requestId, gate);
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('completed');
    const indexes = await querySql<{ indexdef: string }>(
      target.url,
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'order_line' AND indexname <> 'order_line_pkey'",
    );
    expect(indexes.map((i) => i.indexdef)).toEqual([
      'CREATE INDEX order_line_order_id_idx ON public.order_line USING btree (order_id)',
    ]);
  });

  it('review: a database with nothing to fix completes with nothing to apply, and asks no one', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, {
      ...change(target.name),
      kind: 'review',
      title: 'review shop',
      source: { format: 'sql', text: '' },
    });
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done).toMatchObject({
      state: 'completed',
      outcome: 'nothing to apply: no finding of the analysis has a fix that is a migration (see the analysis report)',
      questions: [],
    });
  });

  it('design: a spec becomes tables in an empty target once every question is answered', async () => {
    const { services, target } = await harness({ targetSetup: '' });
    const spec = readFileSync(join(__dirname, '..', 'examples', 'ecommerce.yaml'), 'utf8');
    const { requestId } = await startRequest(services, {
      ...change(target.name),
      kind: 'design',
      title: 'shop from its spec',
      source: { format: 'spec', text: spec },
    });
    const gate = await statusWhen(services, requestId, 'at the gate', atGate, 120_000);
    expect(gate.artifacts).toEqual(
      expect.objectContaining({
        erd: expect.objectContaining({ kind: 'erd' }),
        ddl: expect.objectContaining({ kind: 'ddl' }),
      }),
    );
    // Advice about no step of the migration is applied when chosen: the hot four-table join becomes a materialized view.
    const hotJoin = gate.questions.find((q) => q.id.startsWith('SW-ESC-DENORMALIZATION:'))!;
    await decideRequest(services, requestId, {
      questionId: hotJoin.id,
      optionId: 'materialized-view',
      person: 'ann',
      channel: 'cli',
      comment: 'the order page is read far more than it changes',
    });
    await decideAll(services, requestId, await requestStatus(services, requestId));
    const done = await statusWhen(services, requestId, 'done', ended, 120_000);
    expect(done).toMatchObject({ state: 'completed' });
    const tables = await querySql<{ table_name: string }>(
      target.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['customer', 'order']));
    const views = await querySql<{ matviewname: string }>(target.url, 'SELECT matviewname FROM pg_matviews');
    expect(views.map((v) => v.matviewname)).toHaveLength(1);
    // Notifications carry references and deltas, not the whole view: the history stays small.
    const run = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).describe();
    expect(run.historySize).toBeLessThan(64 * 1024);
  });

  it('refuses a self-approval, a stranger, an unknown question or option, and answers a repeated click once', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const refusal = (decision: Parameters<typeof decideRequest>[2]) =>
      decideRequest(services, requestId, decision).catch((e: unknown) => e);

    expect(await refusal({ questionId: 'approve', optionId: 'apply', person: 'rita', channel: 'slack' })).toEqual(
      new RefusedError('rita requested this change and may not decide it (separation of duties)'),
    );
    expect(await refusal({ questionId: 'approve', optionId: 'apply', person: 'mallory', channel: 'web' })).toEqual(
      new RefusedError(`mallory is not an approver for ${target.name}/production; approvers: ann, bob`),
    );
    expect(await refusal({ questionId: 'nope', optionId: 'apply', person: 'ann', channel: 'cli' })).toEqual(
      new RefusedError(`request ${requestId} has no question 'nope'; open questions: approve`),
    );
    expect(await refusal({ questionId: 'approve', optionId: 'yolo', person: 'ann', channel: 'cli' })).toEqual(
      new RefusedError("question 'approve' has no option 'yolo'; choose one of: apply, reject"),
    );
    expect(await refusal({ questionId: 'approve', optionId: 'reject', person: 'ann', channel: 'cli' })).toEqual(
      new RefusedError('a comment is required to reject: say why'),
    );

    const first = await decideRequest(
      services,
      requestId,
      { questionId: 'approve', optionId: 'apply', person: 'bob', channel: 'slack' },
      'slack-action-42',
    );
    const again = await decideRequest(
      services,
      requestId,
      { questionId: 'approve', optionId: 'apply', person: 'bob', channel: 'slack' },
      'slack-action-42',
    );
    expect(again).toEqual(first);
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.questions[0].votes.map((v) => v.person)).toEqual(['bob']);
    expect(await auditKinds(store.pool, requestId)).toEqual(expect.arrayContaining(['refused']));
    expect((await auditKinds(store.pool, requestId)).filter((k) => k === 'refused')).toHaveLength(5);
  });

  it('reject: nothing applied, and the request says so', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'reject',
      person: 'ann',
      channel: 'web',
      comment: 'not during the sale',
    });
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('rejected');
    expect(done.outcome).toBe('rejected by ann: not during the sale; nothing was applied');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at']);
    expect(await appliedSteps(target.url)).toBe(0);
  });

  it('a quorum of two needs two distinct approvers', async () => {
    const { services, target } = await harness({ policy: testPolicy({ quorum: 2 }) });
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const first = await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    expect(first).toMatchObject({ questionState: 'open', votes: 1, quorum: 2 });
    const twice = await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'slack',
    }).catch((e: unknown) => e);
    expect(twice).toEqual(new RefusedError("ann already chose on 'approve'; the quorum of 2 needs distinct approvers"));
    expect((await requestStatus(services, requestId)).state).toBe('awaiting-approval');
    const second = await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'bob',
      channel: 'email',
    });
    expect(second).toMatchObject({ questionState: 'decided', votes: 2 });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'note']);
  });

  // The dev server fires timers up to a second or two late: the fourth reminder (due at 12 s) has 2.5 s before
  // the expiry, and a fifth (15 s) would come after it, so the count is 4 however late the timers are.
  it('reminds on a timer, re-routes to the backup approver, then expires and applies nothing', async () => {
    const { services, target } = await harness({
      timings: { remindEverySeconds: 3, rerouteAfterSeconds: 7.5, expireAfterSeconds: 14.5 },
    });
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const rerouted = await statusWhen(services, requestId, 're-routed', (view) =>
      view.questions[0]?.askedTo.includes('carl'),
    );
    expect(rerouted.questions[0].askedTo).toEqual(['ann', 'bob', 'carl']);
    const done = await statusWhen(services, requestId, 'expired', ended);
    expect(done.state).toBe('expired');
    expect(done.questions[0]).toMatchObject({ state: 'expired', remindersSent: 4 });
    expect(done.outcome).toMatch(/expired, nothing was applied$/);
    expect(await appliedSteps(target.url)).toBe(0);
    const kinds = await auditKinds(store.pool, requestId);
    expect(kinds.filter((k) => k === 'reminder')).toHaveLength(4);
    expect(kinds).toEqual(expect.arrayContaining(['rerouted', 'expired']));
    const late = await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(RefusedError);
  });

  it('cancel by the requester stops the request; a stranger may not cancel', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    expect(await cancelRequest(services, requestId, { person: 'mallory' }).catch((e: unknown) => e)).toEqual(
      new RefusedError('mallory may not cancel this request: only the requester (rita) or an admin may'),
    );
    await cancelRequest(services, requestId, { person: 'rita', reason: 'wrong table' });
    const done = await statusWhen(services, requestId, 'cancelled', ended);
    expect(done.state).toBe('cancelled');
    expect(done.outcome).toBe('cancelled by rita: wrong table; nothing was applied');
    expect(await appliedSteps(target.url)).toBe(0);
  });

  it('drift between approval and apply: review runs again and the people are asked again', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    await runSql(target.url, 'CREATE TABLE audit_trail (id bigint PRIMARY KEY)');
    await decideRequest(services, requestId, {
      questionId: 'approve',
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    const again = await statusWhen(
      services,
      requestId,
      'asked again',
      (view) => atGate(view) && view.questions.some((q) => q.id === 'approve#2'),
    );
    expect(again.questions.map((q) => q.id)).toEqual(['approve#2']);
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at']);
    await decideRequest(services, requestId, {
      questionId: 'approve#2',
      optionId: 'apply',
      person: 'bob',
      channel: 'cli',
    });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'note']);
    expect(await auditKinds(store.pool, requestId)).toEqual(expect.arrayContaining(['drift']));
  });

  it('a lock held by another session at apply: retries, then a question with the evidence; applied once the lock is gone', async () => {
    const { services, target } = await harness({ apply: { lockTimeoutMs: 200, lockRetries: 1 } });
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const blocker = new PgClient({ connectionString: target.url });
    await blocker.connect();
    try {
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await blocker.query('BEGIN; LOCK TABLE orders IN ACCESS SHARE MODE');
      await decideRequest(services, requestId, {
        questionId: 'approve',
        optionId: 'apply',
        person: 'ann',
        channel: 'cli',
      });
      const asked = await statusWhen(
        services,
        requestId,
        'asked about the lock',
        (view) => atGate(view) && view.questions[0]?.id === 'apply-stopped',
      );
      const question = asked.questions[0]!;
      expect(question).toMatchObject({
        trigger: 'SW-APPLY-LOCK-CONTENTION',
        options: [{ id: 'retry' }, { id: 'reject' }],
        recommendation: { optionId: 'retry' },
      });
      expect(question.problem).toMatch(
        new RegExp(`could not get AccessExclusiveLock on orders within 200 ms, 2 times: blocked by pid ${pid} `),
      );
      // The stop report, read from the target: what is applied and what a retry does.
      expect(question.problem).toContain(
        'On the target now (its history table and catalog): no step of these migrations is applied. Nothing is left half-done.',
      );
      const evidence = JSON.parse((await getArtifact(store.pool, question.escalation.digest)).content) as {
        evidence: { blockers: { pid: number; modes: string[] }[] };
      };
      expect(evidence.evidence.blockers).toEqual([expect.objectContaining({ pid, modes: ['AccessShareLock'] })]);
      expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at']);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }
    await decideRequest(services, requestId, {
      questionId: 'apply-stopped',
      optionId: 'retry',
      person: 'bob',
      channel: 'cli',
    });
    expect((await statusWhen(services, requestId, 'done', ended)).state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'note']);
    expect(await auditKinds(store.pool, requestId)).toEqual(expect.arrayContaining(['apply-stopped']));
  });

  it('lists requests by status and target from Temporal visibility', async () => {
    const { services, target } = await harness();
    const { requestId } = await startRequest(services, change(target.name));
    await statusWhen(services, requestId, 'at the gate', atGate);
    const listed = await waitFor('the request in visibility', async () =>
      (await listRequests(services, { status: 'awaiting-approval', target: target.name })).find(
        (r) => r.requestId === requestId,
      ),
    );
    expect(listed).toMatchObject({
      requestId,
      status: 'awaiting-approval',
      kind: 'change',
      target: target.name,
      requester: 'rita',
    });
  });
});
