import { Client } from 'pg';
import { parsePolicy } from '../approvals/policy/policy';
import { listDatabases, resolveGroup, wavesOf, type TargetGroup } from '../config/target-groups';
import { resolveTarget } from '../config/targets';
import { databaseUrl } from '../store/database';
import { testStack, uniqueName } from './support/stack';

const POLICY = `
people:
  ann: { name: Ann, email: ann@example.test }
targets:
  "*": { "*": { approvers: [ann] } }
groups:
`;

describe('target groups name what a rollout changes, resolved at kickoff', () => {
  const prefix = uniqueName('sw_tg');
  const names = ['a', 'b', 'c', 'd', 'store'].map((n) => `${prefix}_${n}`);
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: testStack().postgresAdminUrl });
    await admin.connect();
    for (const name of names) await admin.query(`CREATE DATABASE "${name}"`);
    await admin.query(`CREATE DATABASE "${prefix}_closed" ALLOW_CONNECTIONS false`);
  });
  afterAll(async () => {
    for (const name of [...names, `${prefix}_closed`])
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it("a pattern over the store's server gives its databases in order, never the store's own, a closed one or a maintenance database", async () => {
    const group: TargetGroup = {
      name: 'tenants',
      stages: [
        {
          environment: 'production',
          pattern: `${prefix}%`,
          waves: [{ count: 1 }, { percent: 34 }, 'rest'],
          maxFailures: 0,
          pauseSeconds: 0,
        },
      ],
    };
    const server = {
      listDatabases: (pattern: string) => listDatabases((sql, values) => admin.query(sql, values), pattern),
      storeDatabase: `${prefix}_store`,
    };
    const [stage] = await resolveGroup(group, server, [], {});
    expect(stage.targets).toEqual(names.slice(0, 4));
    expect(stage.waves).toEqual([[names[0]], names.slice(1, 3), [names[3]]]);
    // `postgres` matches `%`, and is still never a target.
    const everything = await resolveGroup(
      { ...group, stages: [{ ...group.stages[0], pattern: 'postgres' }] },
      server,
      [],
      {},
    ).catch((error: Error) => error.message);
    expect(everything).toBe(
      "group tenants, stage production: no database on the store's server matches 'postgres' (the store's own and the maintenance databases never do): create them, or fix the pattern",
    );
  });

  it('a pattern over a server variable names its targets <server>/<database>, which workers resolve through the same variable', async () => {
    const env = { SCHEMAWRIGHT_SERVER_FLEET_URL: testStack().postgresAdminUrl };
    const group: TargetGroup = {
      name: 'fleet',
      stages: [
        {
          environment: 'production',
          server: 'fleet',
          pattern: `${prefix}_%`,
          waves: ['rest'],
          maxFailures: 0,
          pauseSeconds: 0,
        },
      ],
    };
    const [stage] = await resolveGroup(group, { listDatabases: async () => [], storeDatabase: 'unused' }, [], env);
    expect(stage.targets).toEqual([...names.slice(0, 4), names[4]].sort().map((n) => `fleet/${n}`));
    const target = resolveTarget(`fleet/${names[0]}`, env);
    expect(target.connectionString).toBe(databaseUrl(testStack().postgresAdminUrl, names[0]));
    const client = new Client({ connectionString: target.connectionString });
    await client.connect();
    expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(names[0]);
    await client.end();
    expect(() => resolveTarget('fleet/postgres', env)).toThrow(
      "target 'fleet/postgres' is a PostgreSQL maintenance database, not a target",
    );
    expect(() => resolveTarget(`elsewhere/${names[0]}`, env)).toThrow(
      `target 'elsewhere/${names[0]}' is a database of the group server 'elsewhere', which has no connection: set SCHEMAWRIGHT_SERVER_ELSEWHERE_URL where the workers run`,
    );
  });

  it('listed targets are checked like a request’s: the store’s database is refused, and a target is in one stage only', async () => {
    const server = { listDatabases: async () => [], storeDatabase: 'schemawright' };
    const stage = { waves: ['rest' as const], maxFailures: 0, pauseSeconds: 0 };
    await expect(
      resolveGroup(
        { name: 'path', stages: [{ environment: 'dev', targets: ['schemawright'], ...stage }] },
        server,
        [],
        {},
      ),
    ).rejects.toThrow(
      "group path, stage dev: target 'schemawright' is the project store's own database, which is never a target: choose another target",
    );
    await expect(
      resolveGroup(
        {
          name: 'path',
          stages: [
            { environment: 'dev', targets: ['shop'], ...stage },
            { environment: 'prod', targets: ['shop'], ...stage },
          ],
        },
        server,
        [],
        {},
      ),
    ).rejects.toThrow('group path: target shop is in stage dev and in stage prod: a target belongs to one stage');
  });

  it('the policy parses groups and says what is wrong with each stage', () => {
    const policy = parsePolicy(
      `${POLICY}  path:\n    - { environment: staging, targets: [shop_staging] }\n    - { environment: production, pattern: "tenant_%", waves: [1, "10%", rest], max_failures: 2, pause_seconds: 30 }\n`,
      'policy.yaml',
    );
    expect(policy.groups).toEqual([
      {
        name: 'path',
        stages: [
          {
            environment: 'staging',
            targets: ['shop_staging'],
            waves: [{ count: 1 }, { percent: 20 }, 'rest'],
            maxFailures: 0,
            pauseSeconds: 0,
          },
          {
            environment: 'production',
            pattern: 'tenant_%',
            waves: [{ count: 1 }, { percent: 10 }, 'rest'],
            maxFailures: 2,
            pauseSeconds: 30,
          },
        ],
      },
    ]);
    expect(() =>
      parsePolicy(
        `${POLICY}  bad:\n    - { environment: prod, targets: [a], pattern: "x%", waves: [rest, 1] }\n`,
        'policy.yaml',
      ),
    ).toThrow(
      [
        'the policy file has 2 problem(s):',
        'policy.yaml:8:7: groups.bad[0]: a stage has either `targets: [a, b]` or `pattern: "tenant_%"` (a LIKE pattern over a server\'s databases), not both or neither',
        'policy.yaml:8:64: groups.bad[0].waves: waves is a list of sizes: a count (1), a percentage of the stage ("20%") or rest, like [1, "20%", rest]',
      ].join('\n  '),
    );
  });

  it('waves take a canary, a percentage and the rest, and never leave a target out', () => {
    const targets = Array.from({ length: 50 }, (_, i) => `t${i}`);
    expect(wavesOf(targets, [{ count: 1 }, { percent: 20 }, 'rest']).map((w) => w.length)).toEqual([1, 10, 39]);
    expect(wavesOf(targets, [{ count: 1 }, { count: 20 }]).map((w) => w.length)).toEqual([1, 20, 29]);
    expect(wavesOf(['only'], [{ count: 1 }, { percent: 20 }, 'rest'])).toEqual([['only']]);
  });
});
