import type { Escalation } from '../../../artifacts/escalation';
import { loadParser } from '../../../postgres/parse';
import { exampleContext } from './fixtures';
import { escalationTriggers, raiseEscalations } from './index';
import { exampleCatalog, exampleFinding } from './examples';
import { renderMigration } from '../render';
import type { EscalationContext, TriggerExample } from './trigger';

beforeAll(() => loadParser());

/** What every escalation must carry, whatever raised it. */
function expectWellFormed(escalation: Escalation, context: EscalationContext): void {
  expect(escalation.id.startsWith(`${escalation.trigger}:`)).toBe(true);
  expect(escalation.problem.length).toBeGreaterThan(20);
  expect(escalation.attempted.length).toBeGreaterThan(0);
  expect(escalation.principles.length).toBeGreaterThan(0);
  expect(escalation.options.length).toBeGreaterThanOrEqual(2);
  expect(new Set(escalation.options.map((o) => o.id)).size).toBe(escalation.options.length);
  for (const option of escalation.options) {
    expect(
      [option.impact.performance, option.impact.consistency, option.impact.scalability].every((t) => t.length > 0),
    ).toBe(true);
    expect(['low', 'medium', 'high']).toContain(option.risk);
    expect(option.blockingSeconds === null || typeof option.blockingSeconds === 'number').toBe(true);
  }
  // About the migration's own steps, options are real alternatives: no two lead to the same migration.
  // Advice escalations (no steps) may also offer operational choices that change no SQL (backup, replication).
  const variants = escalation.options.map((o) => JSON.stringify(o.replacement ?? 'as written'));
  if (escalation.steps.length > 0) expect(new Set(variants).size).toBe(variants.length);
  expect(escalation.options.map((o) => o.id)).toContain(escalation.recommendation.optionId);
  expect(escalation.recommendation.reason.length).toBeGreaterThan(10);
  const stepNames = context.migration.steps.map((s) => s.name);
  for (const step of escalation.steps) expect(stepNames).toContain(step);
}

describe.each(escalationTriggers.map((trigger) => [trigger.id, trigger] as const))('%s', (id, trigger) => {
  it('has examples that fire and that do not', () => {
    expect(trigger.examples.fires.length).toBeGreaterThan(0);
    expect(trigger.examples.quiet.length).toBeGreaterThan(0);
    expect(trigger.explanation.length).toBeGreaterThan(40);
  });

  const run = async (example: TriggerExample) => {
    const context = await exampleContext(example);
    const raised = trigger.raise(context);
    for (const escalation of raised) {
      expect(escalation.trigger).toBe(id);
      expectWellFormed(escalation, context);
    }
    // Stable across re-reviews of the same input.
    expect(trigger.raise(await exampleContext(example)).map((e) => e.id)).toEqual(raised.map((e) => e.id));
    return raised.map((e) => e.id);
  };

  it.each(trigger.examples.fires.map((e) => [e.title, e] as const))('fires: %s', async (_title, example) => {
    expect(await run(example)).toEqual(example.ids);
  });

  it.each(trigger.examples.quiet.map((e) => [e.title, e] as const))('stays quiet: %s', async (_title, example) => {
    expect(await run(example)).toEqual([]);
  });
});

const GB = 1e9;

describe('raiseEscalations', () => {
  it('raises nothing for a small migration on tiny tables', async () => {
    const context = await exampleContext({
      title: 'small',
      sql: 'ALTER TABLE tags ADD COLUMN colour text;\nCREATE INDEX tags_colour ON tags (colour);\nALTER TABLE tags ALTER COLUMN name SET NOT NULL',
      tableSizes: { 'public.tags': { rows: 40, bytes: 16384 } },
      ids: [],
    });
    expect(raiseEscalations(context)).toEqual([]);
  });

  it('SW-ESC-MIGRATION-DOWNTIME offers the online rewrite, the window and deferral, with blocking times from the lock model', async () => {
    const context = await exampleContext({
      title: 'set not null',
      sql: "ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nCOMMENT ON TABLE orders IS 'x'",
      tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
      ids: [],
    });
    const [escalation, ...others] = raiseEscalations(context);
    expect(others).toEqual([]);
    expect(escalation!.id).toBe('SW-ESC-MIGRATION-DOWNTIME:public.orders');
    expect(escalation!.steps).toEqual(['0001_change#1']);
    expect(escalation!.options.map((o) => [o.id, o.blockingSeconds])).toEqual([
      ['online', 0],
      ['maintenance-window', 250],
      ['defer', 0],
    ]);
    expect(escalation!.options[0]!.replacement!.map((s) => [s.name, s.sql])).toEqual([
      [
        '0001_change#1.1~online1',
        'ALTER TABLE orders ADD CONSTRAINT orders_customer_id_nn_check CHECK (customer_id IS NOT NULL) NOT VALID',
      ],
      ['0001_change#1.1~online2', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_nn_check'],
      [
        '0001_change#1.1~online3',
        'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT orders_customer_id_nn_check',
      ],
      // The statement of the same step that needed no rewrite is kept.
      ['0001_change#1.2', "COMMENT ON TABLE orders IS 'x';"],
    ]);
    expect(escalation!.options[2]!.replacement!.map((s) => s.name)).toEqual(['0001_change#1.2']);
    expect(escalation!.recommendation.optionId).toBe('online');
  });

  it('a statement is escalated once: an index on a write-heavy table is an index decision, a narrowing a destructive one', async () => {
    const context = await exampleContext({
      title: 'both',
      sql: 'CREATE INDEX events_user ON events (user_id);\nALTER TABLE events DROP COLUMN legacy',
      tableSizes: { 'public.events': { rows: 200_000_000, bytes: 80 * GB } },
      ids: [],
    });
    // Both statements share one transactional step: one escalation per step and trigger would conflict in rendering,
    // so the index goes to SW-ESC-INDEX-WRITE-OVERHEAD and not also to SW-ESC-MIGRATION-DOWNTIME.
    expect(raiseEscalations(context).map((e) => [e.id, e.steps])).toEqual([
      ['SW-ESC-DESTRUCTIVE:public.events.legacy', ['0001_change#1']],
      ['SW-ESC-INDEX-WRITE-OVERHEAD:public.events', ['0001_change#1']],
    ]);
  });

  it('SW-ESC-MIGRATION-DOWNTIME offers expand/contract for a widening type change when the catalog knows the column', async () => {
    const context = await exampleContext({
      title: 'widen',
      sql: 'ALTER TABLE orders ALTER COLUMN qty TYPE bigint',
      tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
      catalog: exampleCatalog({ 'public.orders': { columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] } }),
      ids: [],
    });
    const [escalation, ...others] = raiseEscalations(context);
    expect(others).toEqual([]);
    expect(escalation!.options.map((o) => [o.id, o.blockingSeconds])).toEqual([
      ['online', 0],
      ['maintenance-window', 1000],
      ['defer', 0],
    ]);
    expect(escalation!.options[0]!.replacement!.map((s) => s.kind)).toEqual([
      'transactional',
      'backfill',
      'transactional',
    ]);
  });

  it('SW-ESC-PARTITIONING on a table the design creates: as designed, the strategies its keys allow, or unpartitioned', async () => {
    const context = await exampleContext({
      title: 'design',
      sql:
        'CREATE TABLE sample (id bigint, recorded_at timestamptz NOT NULL, PRIMARY KEY (id, recorded_at)) PARTITION BY RANGE (recorded_at);\n' +
        "CREATE TABLE sample_2026 PARTITION OF sample FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
        'CREATE TABLE reading (id bigint PRIMARY KEY, at timestamptz)',
      modelingFindings: [
        {
          id: 'SW-M-PARTITION-PLAN',
          source: 'schemawright',
          severity: 'warning',
          object: 'sample',
          message: '-',
          why: '-',
          evidence: { table: 'sample', rows: 1e9, strategy: 'range', key: 'recorded_at' },
        },
        {
          id: 'SW-M-PARTITION-PLAN',
          source: 'schemawright',
          severity: 'warning',
          object: 'reading',
          message: '-',
          why: '-',
          evidence: { table: 'reading', rows: 1e9 },
        },
      ],
      ids: [],
    });
    const raised = raiseEscalations(context);
    expect(raised.map((e) => e.id)).toEqual([
      'SW-ESC-PARTITIONING:public.reading',
      'SW-ESC-PARTITIONING:public.sample',
    ]);
    const [reading, sample] = raised;
    // The step also holds the other table's statements: they stay as they are, one slot each.
    const own = (steps: { name: string; sql: string }[] | undefined) =>
      steps?.filter((s) => s.name.startsWith('0001_change#1.1')).map((s) => s.sql);
    expect(sample!.options.map((o) => [o.id, o.title, own(o.replacement)])).toEqual([
      ['range-by-time', 'Range partitions by recorded_at (as designed)', undefined],
      [
        'hash-by-key',
        'Hash partitions by id',
        [
          'CREATE TABLE sample (id bigint, recorded_at timestamptz NOT NULL, PRIMARY KEY (id, recorded_at)) PARTITION BY HASH (id);\n' +
            Array.from(
              { length: 8 },
              (_, r) =>
                `CREATE TABLE public.sample_${r} PARTITION OF public.sample FOR VALUES WITH (MODULUS 8, REMAINDER ${r})`,
            ).join(';\n'),
        ],
      ],
      [
        'none-yet',
        'Not yet: one plain table',
        ['CREATE TABLE sample (id bigint, recorded_at timestamptz NOT NULL, PRIMARY KEY (id, recorded_at))'],
      ],
    ]);
    expect(sample!.recommendation.optionId).toBe('range-by-time');
    // The primary key (id) rules out range partitions by at: only hash by id, or as designed (unpartitioned).
    expect(reading!.options.map((o) => o.id)).toEqual(['hash-by-key', 'none-yet']);
    expect(reading!.recommendation.optionId).toBe('none-yet');
  });

  it('SW-ESC-PARTITIONING keeps a list or expression design as its own option, recommended and unchanged', async () => {
    const designs = {
      shipment: [
        'CREATE TABLE shipment (id bigint, region text NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region)',
        'List partitions by region (as designed)',
      ],
      reading: [
        "CREATE TABLE reading (at timestamp NOT NULL) PARTITION BY RANGE (date_trunc('day', at))",
        'Range partitions by an expression (as designed)',
      ],
    };
    for (const [table, [sql, title]] of Object.entries(designs)) {
      const context = await exampleContext({
        title: table,
        sql,
        modelingFindings: [exampleFinding('SW-M-PARTITION-PLAN', table, { table, rows: 1e9 })],
        ids: [],
      });
      const [escalation] = raiseEscalations(context);
      const designed = escalation!.options.find((o) => o.id === escalation!.recommendation.optionId)!;
      expect([designed.title, designed.replacement]).toEqual([title, undefined]);
      expect(escalation!.options.find((o) => o.id === 'none-yet')!.title).toBe('Not yet: one plain table');
    }
  });

  it("SW-ESC-GOVERNANCE grants the masked view to no one: it reads the table with its owner's rights", async () => {
    const [example] = escalationTriggers.find((t) => t.id === 'SW-ESC-GOVERNANCE')!.examples.fires;
    const [escalation] = raiseEscalations(await exampleContext(example!));
    const mask = escalation!.options.find((o) => o.id === 'restrict-and-mask')!;
    expect(mask.replacement!.map((s) => s.sql).join('\n')).not.toMatch(/\bGRANT\b/i);
    expect(mask.summary).toContain('grant SELECT on it to the roles that read, by name');
    expect(mask.summary).toContain('\\dp public.customer');
  });

  it('SW-ESC-REPLICATION recommends a synchronous replica for strong consistency, routing for read-your-writes, one server otherwise', async () => {
    const recommended = await Promise.all(
      escalationTriggers
        .find((t) => t.id === 'SW-ESC-REPLICATION')!
        .examples.fires.map(async (example) => {
          const [escalation] = raiseEscalations(await exampleContext(example));
          return [escalation!.evidence.consistency, escalation!.recommendation.optionId];
        }),
    );
    expect(recommended).toEqual([
      ['read-your-writes', 'async-read-your-writes'],
      ['linearizable', 'sync-replica'],
      ['eventual', 'vertical'],
    ]);
  });

  it('SW-ESC-CACHING finds no room for a cache only at zero seconds or real time (30s is room)', async () => {
    const recommended = await Promise.all(
      escalationTriggers
        .find((t) => t.id === 'SW-ESC-CACHING')!
        .examples.fires.map(async (example) => {
          const [escalation] = raiseEscalations(await exampleContext(example));
          return [escalation!.evidence.freshness, escalation!.recommendation.optionId];
        }),
    );
    expect(recommended).toEqual([
      ['1 minute', 'materialized-view'],
      ['30s', 'cache-ttl'],
      ['real-time', 'none'],
    ]);
  });

  it('SW-ESC-DESTRUCTIVE backs up each table once, under the name its option shows', async () => {
    const context = await exampleContext({
      title: 'two columns of one table',
      sql: 'ALTER TABLE customers DROP COLUMN fax;\nALTER TABLE customers DROP COLUMN email',
      tableSizes: { 'public.customers': { rows: 1_000, bytes: 1e6 } },
      ids: [],
    });
    const [escalation] = raiseEscalations(context);
    const backup = escalation!.options.find((o) => o.id === 'proceed-with-backup')!;
    expect(backup.summary).toBe(
      'Copy the data into schema sw_backup (sw_backup.public_customers_0001), then run the migration as written.',
    );
    expect(backup.replacement![0]!.sql).toBe(
      'CREATE SCHEMA IF NOT EXISTS sw_backup;\nCREATE TABLE sw_backup.public_customers_0001 AS TABLE customers;',
    );
  });

  it('SW-ESC-DESTRUCTIVE recognises a narrowing type change from the catalog', async () => {
    const context = await exampleContext({
      title: 'narrow',
      sql: 'ALTER TABLE customers ALTER COLUMN name TYPE varchar(20)',
      tableSizes: { 'public.customers': { rows: 1000, bytes: 1e6 } },
      catalog: exampleCatalog({
        'public.customers': { columns: { id: 'bigint', name: 'character varying(100)' }, primaryKey: ['id'] },
      }),
      ids: [],
    });
    const [escalation] = raiseEscalations(context);
    expect(escalation!.id).toBe('SW-ESC-DESTRUCTIVE:public.customers.name');
    expect(escalation!.options.find((o) => o.id === 'two-step-deprecation')!.replacement!.map((s) => s.sql)).toEqual([
      'ALTER TABLE customers ADD CONSTRAINT customers_name_fits_check CHECK (name IS NULL OR char_length(name) <= 20) NOT VALID',
    ]);
  });
});

describe('SW-ESC-PRIVILEGED', () => {
  it('shows the statements verbatim with their reasons and who would run them, and recommends rejecting', async () => {
    const context = await exampleContext({
      title: 'attack',
      sql: "CREATE TABLE loot (body text);\nCREATE ROLE evil LOGIN PASSWORD 'x';\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x'",
      applyRole: { name: 'deploy', rights: ['CREATEDB'], known: true },
      ids: [],
    });
    const [escalation, ...others] = raiseEscalations(context);
    expect(others).toEqual([]);
    expect(escalation!.problem).toBe(
      '2 statement(s) need rights beyond the database or reach outside it. Review ran none of them, not even on the shadow. ' +
        'If the request is applied as written, the apply role "deploy" (CREATEDB) runs them:\n' +
        "step 0001_change#1, statement 2: CREATE ROLE evil LOGIN PASSWORD 'x'\n  it creates a role (roles belong to the whole cluster)\n" +
        "step 0001_change#1, statement 3: COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'\n  it runs a program on the database server (COPY TO PROGRAM)",
    );
    expect(escalation!.options.map((o) => [o.id, o.title])).toEqual([
      ['apply-as-written', 'Apply as written, by the apply role "deploy"'],
      ['reject', 'Reject the request'],
    ]);
    expect(escalation!.options[0]!.summary).toBe(
      'Runs the whole migration with these 2 statement(s) exactly as shown, in steps 0001_change#1, as the apply role "deploy" (CREATEDB). ' +
        'That role is not a superuser: a statement that needs more than it holds fails at apply, which stops and asks again.',
    );
    expect(escalation!.recommendation.optionId).toBe('reject');
    expect(escalation!.steps).toEqual(['0001_change#1']);
  });
});

describe('the option that defers', () => {
  it('says which statements of the same steps are still applied, and how long they block', async () => {
    const context = await exampleContext({
      title: 'SET NOT NULL beside a cheap ADD COLUMN, in one step',
      sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders ADD COLUMN note text',
      tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
      ids: [],
    });
    const downtime = escalationTriggers.find((trigger) => trigger.id === 'SW-ESC-MIGRATION-DOWNTIME')!;
    const [escalation] = downtime.raise(context);
    const defer = escalation!.options.find((option) => option.id === 'defer')!;
    expect(defer.summary).toContain('Still applied from the same steps: ALTER TABLE orders ADD COLUMN note text.');
    expect(defer.summary).toContain('The rest of the migration is applied as reviewed.');
    expect(defer.blockingSeconds).toBe(0);
  });

  it('says nothing else of the steps is applied when the step held only the deferred statement', async () => {
    const example = escalationTriggers.find((trigger) => trigger.id === 'SW-ESC-MIGRATION-DOWNTIME')!.examples
      .fires[0]!;
    const [escalation] = escalationTriggers
      .find((trigger) => trigger.id === 'SW-ESC-MIGRATION-DOWNTIME')!
      .raise(await exampleContext(example));
    expect(escalation!.options.find((option) => option.id === 'defer')!.summary).toContain(
      'Nothing else of the same steps is applied.',
    );
  });
});

describe('the online option of SW-ESC-MIGRATION-DOWNTIME', () => {
  it('counts its steps as they are applied, where statements kept as written share one transaction again', async () => {
    const context = await exampleContext({
      title: 'SET NOT NULL before two cheap statements, in one step',
      sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders ADD COLUMN tag text',
      tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
      ids: [],
    });
    const [escalation] = escalationTriggers
      .find((trigger) => trigger.id === 'SW-ESC-MIGRATION-DOWNTIME')!
      .raise(context);
    const online = escalation!.options.find((option) => option.id === 'online')!;
    const applied = renderMigration(context.migration, [escalation!], { [escalation!.id]: 'online' }).steps;
    expect(online.replacement!.length).toBeGreaterThan(applied.length);
    expect(online.summary).toContain(`The same end state in ${applied.length} step(s)`);
  });
});
