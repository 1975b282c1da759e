import { quoteIdent } from '../../../postgres/names';
import { modelingFinding, type ModelingFindingKind } from './kind';

export const partitionPlan: ModelingFindingKind = {
  id: 'SW-M-PARTITION-PLAN',
  severity: 'warning',
  explanation:
    'A table whose expected volume, now or after a year of the spec’s growth, passes the partitioning threshold (the one analysis uses for SW-A-NEEDS-PARTITIONING). The design partitions it from the start, when that costs nothing: range by time for append-mostly data nobody references, hash by key otherwise. Choosing the strategy (or none yet) is a person’s call.',
  remedy:
    'Review the proposed PARTITION BY in the DDL: keep it, take the other strategy, or start unpartitioned and ' +
    'accept a row-moving migration later (SW-ESC-PARTITIONING asks which).',
  find({ model }) {
    return model.partitions.map((plan) =>
      modelingFinding(partitionPlan, {
        object: plan.table,
        message:
          plan.strategy === 'range'
            ? `${plan.table} is partitioned by range on ${plan.key}, one partition per ${plan.interval}: ${plan.projectedRows} rows expected within a year`
            : `${plan.table} is partitioned by hash on ${plan.key} into ${plan.interval} partitions: ${plan.projectedRows} rows expected within a year`,
        why: `${plan.reason} ${plan.maintenance}`,
        fix: `PARTITION BY ${plan.strategy.toUpperCase()} (${quoteIdent(plan.key)}) in the proposed DDL; the alternative is an unpartitioned table now and a row-moving migration later.`,
        evidence: {
          table: plan.table,
          rows: plan.rows,
          growthPerDay: plan.growthPerDay,
          strategy: plan.strategy,
          key: plan.key,
          interval: plan.interval,
        },
      }),
    );
  },
  examples: [
    {
      name: 'samples nobody references, by day; orders that lines reference, by hash; a small table not at all',
      spec: `name: m
entities:
  device: { fields: { serial: text } }
  sample:
    fields: { device: { ref: device }, recorded_at: timestamptz, value: float8 }
    volume: { rows: 1000000000, growth_per_day: 20000000 }
  order:
    fields: { placed_at: timestamptz }
    volume: { rows: 10000000, growth_per_day: 200000 }
  order_line:
    fields: { order: { ref: order } }
`,
      expect: [
        {
          object: 'sample',
          message:
            'sample is partitioned by range on recorded_at, one partition per day: 8300000000 rows expected within a year',
          evidence: {
            table: 'sample',
            rows: 1_000_000_000,
            growthPerDay: 20_000_000,
            strategy: 'range',
            key: 'recorded_at',
            interval: 'day',
          },
        },
        {
          object: 'order',
          message: 'order is partitioned by hash on id into 4 partitions: 83000000 rows expected within a year',
          evidence: {
            table: 'order',
            rows: 10_000_000,
            growthPerDay: 200_000,
            strategy: 'hash',
            key: 'id',
            interval: '4',
          },
        },
      ],
    },
  ],
};
