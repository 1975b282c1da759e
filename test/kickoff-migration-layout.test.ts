import type { MigrationFile } from '../artifacts/migration-files';
import { layoutProblems, readMigrationFiles } from '../artifacts/migration-files';
import {
  listRequests,
  RequestInputError,
  startRequest,
  workflowIdOf,
  type KickoffRequest,
} from '../approvals/requests';
import { putArtifact } from '../store/artifacts';
import type { RequestInput, RequestStatusView } from '../workflows/design-request-messages';
import { LEMMY_DIR, MARQUEZ_DIR } from './support/fixtures';
import { harnessForFile } from './support/target-lock';
import { uniqueName } from './support/stack';

function fromFiles(target: string, files: MigrationFile[]): KickoffRequest {
  return {
    clientRequestId: uniqueName('req'),
    kind: 'change',
    title: 'a directory of migrations',
    target,
    environment: 'production',
    requester: 'rita',
    channel: 'cli',
    source: { format: 'migrations', text: JSON.stringify(files) },
  };
}

const up = (path: string): MigrationFile => ({ path, up: 'CREATE TABLE t (id int);' });

describe('kickoff refuses migrations whose layout cannot be applied, naming the files', () => {
  const opened = harnessForFile();

  it.each([
    [
      'two migrations with one version',
      [up('001_users.up.sql'), up('001_orders.up.sql'), up('002_items.up.sql')],
      '001_users.up.sql and 001_orders.up.sql have the same version 001: give each migration its own version',
    ],
    [
      'two Flyway migrations whose versions are one number',
      [up('V1.1__a.sql'), up('V1_1__b.sql')],
      'V1.1__a.sql and V1_1__b.sql have the same version 1.1: give each migration its own version',
    ],
    [
      'a file with no version among versioned ones',
      [up('001_users.up.sql'), up('notes.sql')],
      'notes.sql has no version in its name, so its place in the order cannot be told: name it like 001_x.up.sql (golang-migrate), 20240101120000_x.sql (dbmate), V1__x.sql (Flyway) or 2024-01-01-120000_x/up.sql (diesel)',
    ],
    [
      'a down given as an up',
      [up('001_users.up.sql'), up('001_users.down.sql')],
      '001_users.down.sql is a down migration given as an up: pair it with its up (the same name with up)',
    ],
  ])('%s: refused before anything starts, and the refusal is audited', async (_name, files, problem) => {
    const { services, target } = opened.harness;
    const store = opened.store;
    const request = fromFiles(target.name, files);
    const error = await startRequest(services, request).catch((e: unknown) => e);
    expect(error).toEqual(new RequestInputError([problem]));
    expect(await listRequests(services, { target: target.name })).toEqual([]);
    const { rows } = await store.pool.query<{ actor: string; target: string; data: Record<string, unknown> }>(
      "SELECT actor, target, data FROM audit_log WHERE kind = 'refused' AND data->>'reason' = $1",
      [problem],
    );
    expect(rows).toEqual([
      { actor: 'rita', target: target.name, data: expect.objectContaining({ action: 'request' }) },
    ]);
  });

  it('a request that reached modeling with such a layout (started before kickoff checked it) fails once, saying why', async () => {
    const { services, target } = opened.harness;
    const files = [up('001_users.up.sql'), up('001_orders.up.sql')];
    const requestId = uniqueName('req');
    const source = await putArtifact(opened.store.pool, 'source-migrations', 'text/plain', JSON.stringify(files));
    const { clientRequestId: _id, reverts: _reverts, ...kickoff } = fromFiles(target.name, files);
    const input: RequestInput = {
      ...kickoff,
      requestId,
      source: { ...source, format: 'migrations' },
      policy: services.gatePolicyFor(target.name, 'production'),
      timings: services.timings,
      decisionKeys: services.decisions.publicKeys,
    };
    const handle = await services.temporal.workflow.start('designRequest', {
      workflowId: workflowIdOf(requestId),
      taskQueue: services.taskQueue,
      args: [input],
    });
    const done = (await handle.result()) as RequestStatusView;
    expect([done.state, done.outcome]).toEqual([
      'failed',
      'modeling failed: the migrations cannot be applied as given: 001_users.up.sql and 001_orders.up.sql have the same version 001: give each migration its own version',
    ]);
    const retried = (await handle.fetchHistory()).events!.filter(
      (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt !== 1,
    );
    expect(retried).toEqual([]);
  });

  it('the layouts schemawright reads (Flyway, diesel) have no problem', () => {
    expect(layoutProblems(readMigrationFiles(MARQUEZ_DIR))).toEqual([]);
    expect(layoutProblems(readMigrationFiles(LEMMY_DIR))).toEqual([]);
    expect(layoutProblems([up('20240101120000_a.sql'), up('20240102120000_b.sql'), up('R__views.sql')])).toEqual([]);
  });
});
