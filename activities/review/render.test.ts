import type { Escalation, EscalationOption } from '../../artifacts/escalation';
import type { Migration, MigrationStep } from '../../artifacts/migration';
import { raiseEscalations } from './escalations';
import { exampleContext } from './escalations/fixtures';
import { parseStatements } from '../../postgres/parse';
import { renderMigration } from './render';

const step = (name: string, sql = `SELECT '${name}'`): MigrationStep => ({ kind: 'transactional', name, sql });
const migration: Migration = { version: '7', name: '0007_orders', steps: [step('a'), step('b'), step('c')] };
const option = (id: string, replacement?: MigrationStep[]): EscalationOption => ({
  id,
  title: id,
  summary: id,
  impact: { performance: '-', consistency: '-', scalability: '-' },
  risk: 'low',
  blockingSeconds: null,
  ...(replacement ? { replacement } : {}),
});
const escalation = (id: string, steps: string[], options: EscalationOption[]): Escalation => ({
  id,
  trigger: id.split(':')[0]!,
  task: 't',
  problem: 'p',
  attempted: [],
  options,
  recommendation: { optionId: options[0]!.id, reason: 'r' },
  principles: [],
  evidence: {},
  steps,
});

// Replacements name their steps by statement slot, as rebuildSteps does: `b.1~online1` replaces statement 1 of step b.
const downtime = escalation(
  'SW-ESC-MIGRATION-DOWNTIME:public.orders',
  ['b'],
  [option('online', [step('b.1~online1'), step('b.1~online2')]), option('maintenance-window'), option('defer', [])],
);
const destructive = escalation(
  'SW-ESC-DESTRUCTIVE:public.orders.fax',
  ['a', 'c'],
  [option('proceed-with-backup', [step('a.0~backup'), step('a.1'), step('c.1')]), option('cancel', [])],
);
const governance = escalation(
  'SW-ESC-GOVERNANCE:public.customer',
  [],
  [option('restrict-and-mask', [step('restrict')]), option('accept-with-sign-off')],
);
const names = (m: Migration) => m.steps.map((s) => s.name);

describe('renderMigration', () => {
  it('replaces the steps of each escalation by the chosen replacement, in place', () => {
    expect(names(renderMigration(migration, [downtime], { [downtime.id]: 'online' }))).toEqual([
      'a',
      'b.1~online1',
      'b.1~online2',
      'c',
    ]);
  });

  it('keeps the steps when the option has no replacement or no choice was made, and drops them for an empty one', () => {
    expect(renderMigration(migration, [downtime], { [downtime.id]: 'maintenance-window' })).toEqual(migration);
    expect(renderMigration(migration, [downtime], {})).toEqual(migration);
    expect(names(renderMigration(migration, [downtime], { [downtime.id]: 'defer' }))).toEqual(['a', 'c']);
  });

  it('applies several choices, each step in its place; advice adds its steps at the end', () => {
    const rendered = renderMigration(migration, [downtime, destructive, governance], {
      [downtime.id]: 'online',
      [destructive.id]: 'proceed-with-backup',
      [governance.id]: 'restrict-and-mask',
    });
    expect(names(rendered)).toEqual(['a.0~backup', 'a.1', 'b.1~online1', 'b.1~online2', 'c.1', 'restrict']);
    expect(names(renderMigration(migration, [destructive], { [destructive.id]: 'cancel' }))).toEqual(['b']);
  });

  it('keeps the statements it did not change, next to each other, in one transaction as written', () => {
    const three: Migration = { version: '8', name: '0008_orders', steps: [step('b', 'SELECT 1; SELECT 2; SELECT 3')] };
    const lastOut = escalation(
      'SW-ESC-DESTRUCTIVE:public.orders.x',
      ['b'],
      [option('cancel', [step('b.1', 'SELECT 1;'), step('b.2', 'SELECT 2;')]), option('keep')],
    );
    expect(renderMigration(three, [lastOut], { [lastOut.id]: 'cancel' }).steps).toEqual([
      step('b.1-2', 'SELECT 1;\nSELECT 2;'),
    ]);
    const middleChanged = escalation(
      'SW-ESC-MIGRATION-DOWNTIME:public.orders',
      ['b'],
      [option('online', [step('b.1', 'SELECT 1;'), step('b.2~online1', 'SELECT 20'), step('b.3', 'SELECT 3;')])],
    );
    expect(names(renderMigration(three, [middleChanged], { [middleChanged.id]: 'online' }))).toEqual([
      'b.1',
      'b.2~online1',
      'b.3',
    ]);
  });

  it('says what is wrong with an unknown escalation or option', () => {
    expect(() => renderMigration(migration, [downtime], { 'SW-ESC-BACKUP:shop': 'replica' })).toThrow(
      "No escalation 'SW-ESC-BACKUP:shop' in this review (it has: SW-ESC-MIGRATION-DOWNTIME:public.orders): choose among those, or review again if the migration changed.",
    );
    expect(() => renderMigration(migration, [downtime], { [downtime.id]: 'later' })).toThrow(
      "Escalation 'SW-ESC-MIGRATION-DOWNTIME:public.orders' has no option 'later': choose one of online, maintenance-window, defer.",
    );
  });

  it('refuses two choices that change the same statement, and escalations of another review', () => {
    const other = escalation(
      'SW-ESC-INDEX-WRITE-OVERHEAD:public.orders',
      ['b'],
      [option('no-index', []), option('index')],
    );
    expect(() =>
      renderMigration(migration, [downtime, other], { [downtime.id]: 'online', [other.id]: 'no-index' }),
    ).toThrow(
      "Statement 1 of step b is changed by 'SW-ESC-INDEX-WRITE-OVERHEAD:public.orders' and by an earlier choice: keep one of them as written.",
    );
    const stale = escalation('SW-ESC-DESTRUCTIVE:x', ['z'], [option('cancel', []), option('keep')]);
    expect(() => renderMigration(migration, [stale], { [stale.id]: 'cancel' })).toThrow(
      "Escalation 'SW-ESC-DESTRUCTIVE:x' refers to step z, which migration 0007_orders does not have: the escalations are from another review of it.",
    );
  });

  it('combines choices about different statements of one step', async () => {
    const context = await exampleContext({
      title: 'real',
      sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE customers DROP COLUMN fax',
      tableSizes: {
        'public.orders': { rows: 100_000_000, bytes: 50e9 },
        'public.customers': { rows: 1000, bytes: 1e6 },
      },
      ids: [],
    });
    const escalations = raiseEscalations(context);
    const choices = Object.fromEntries(
      escalations.map((e) => [e.id, e.id.startsWith('SW-ESC-DESTRUCTIVE') ? 'two-step-deprecation' : 'online']),
    );
    const rendered = renderMigration(context.migration, escalations, choices);
    expect(rendered.steps.map((s) => s.sql)).toEqual([
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_id_nn_check CHECK (customer_id IS NOT NULL) NOT VALID',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_nn_check',
      'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT orders_customer_id_nn_check',
      "COMMENT ON COLUMN customers.fax IS 'deprecated by migration 0001_change: drop in a later migration once nothing reads it'",
    ]);
    // Either choice alone keeps the other statement as written.
    const destructiveOnly = renderMigration(context.migration, escalations, { [escalations[1]!.id]: 'cancel' });
    expect(destructiveOnly.steps.map((s) => [s.name, s.sql])).toEqual([
      ['0001_change#1.1', 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;'],
    ]);
  });

  it('keeps a statement that ends in a -- comment apart from the next one', async () => {
    const context = await exampleContext({
      title: 'comment',
      sql: 'ALTER TABLE customers DROP COLUMN fax -- no longer sent\n; ALTER TABLE customers DROP COLUMN telex',
      tableSizes: { 'public.customers': { rows: 1000, bytes: 1e6 } },
      ids: [],
    });
    const escalations = raiseEscalations(context);
    const rendered = renderMigration(context.migration, escalations, { [escalations[0]!.id]: 'proceed-with-backup' });
    // The semicolon on its own line: after the comment on the same line it would be part of the comment.
    expect(rendered.steps.map((s) => s.sql).join('\n')).toContain(
      'ALTER TABLE customers DROP COLUMN fax -- no longer sent\n;\nALTER TABLE customers DROP COLUMN telex;',
    );
    const statements = await parseStatements(rendered.steps.map((s) => s.sql).join('\n'), 'rendered.sql');
    expect(statements.filter((s) => s.sql.includes('DROP COLUMN'))).toHaveLength(2);
  });
});
