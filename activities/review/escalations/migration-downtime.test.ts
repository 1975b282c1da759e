import { exampleContext } from './fixtures';
import { migrationDowntime } from './SW-ESC-MIGRATION-DOWNTIME';

describe('SW-ESC-MIGRATION-DOWNTIME on a plain index build of 2 million rows', () => {
  it('asks, and its online option builds CONCURRENTLY and proves SET NOT NULL by a validated CHECK instead of the scan', async () => {
    const example = migrationDowntime.examples.fires.find((e) =>
      e.title.startsWith('a plain index build on 2 million'),
    )!;
    const [escalation] = migrationDowntime.raise(await exampleContext(example));
    const online = escalation!.options.find((o) => o.id === 'online')!;
    expect(online.replacement!.map((s) => [s.kind, s.sql])).toEqual([
      ['non-transactional', 'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)'],
      [
        'transactional',
        'ALTER TABLE orders ADD CONSTRAINT orders_customer_id_nn_check CHECK (customer_id IS NOT NULL) NOT VALID',
      ],
      ['transactional', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_nn_check'],
      [
        'transactional',
        'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT orders_customer_id_nn_check',
      ],
    ]);
    expect(escalation!.recommendation.optionId).toBe('online');
  });
});
