import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideRollout, startRollout } from '../approvals/rollouts';
import { databaseUrl } from '../store/database';
import { querySql } from './support/requests';
import { openQuestion, rolloutEnded, rolloutHarness, rolloutWhen, type RolloutHarness } from './support/rollouts';
import { connectTemporal, createTestStore, testStack, type TemporalConnections, type TestStore } from './support/stack';

/** The tables of a target, partitions left out (they are named after the day they were made), with their kind. */
const tables = (name: string) =>
  querySql<{ relname: string; relkind: string }>(
    databaseUrl(testStack().postgresAdminUrl, name),
    `SELECT relname, relkind FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname`,
  ).then((rows) => rows.map((row) => `${row.relname} (${row.relkind === 'p' ? 'partitioned' : 'table'})`));

describe('a rollout whose source is a spec', () => {
  let temporal: TemporalConnections;
  let store: TestStore;
  let harness: RolloutHarness;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await rolloutHarness(temporal, store.pool, {
      databases: 2,
      // Empty databases: the spec is the whole schema.
      setup: 'SELECT 1',
      groups: (names) => [
        {
          name: 'fresh',
          stages: [{ environment: 'dev', targets: names, waves: ['rest'], maxFailures: 0, pauseSeconds: 0 }],
        },
      ],
    });
  });
  afterAll(async () => {
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  it('models the spec once for targets with the same schema, and applies it on each once approved', async () => {
    const { services, databases } = harness;
    const spec = readFileSync(join(__dirname, '..', 'examples', 'metrics.yaml'), 'utf8');
    const { rolloutId } = await startRollout(services, {
      group: 'fresh',
      title: 'telemetry from its spec',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'spec', text: spec, name: 'metrics.yaml' },
    });
    const asked = await rolloutWhen(services, rolloutId, 'dev asked', openQuestion('approve:dev:'), 180_000);
    expect(asked.reviews).toHaveLength(1);
    expect(asked.questions[0]!.problem).toContain(`to 2 target(s): ${databases.join(', ')}`);
    for (const name of databases) expect(await tables(name)).toEqual([]);
    await decideRollout(services, rolloutId, {
      questionId: asked.questions[0]!.id,
      optionId: 'apply',
      person: 'ann',
      channel: 'cli',
    });
    const done = await rolloutWhen(services, rolloutId, 'ended', rolloutEnded, 180_000);
    expect(done.state).toBe('completed');
    expect(done.targets.map((t) => [t.name, t.state])).toEqual(databases.map((name) => [name, 'applied']));
    for (const name of databases)
      expect(await tables(name)).toEqual(['alert (table)', 'device (table)', 'metric (table)', 'sample (partitioned)']);
  });
});
