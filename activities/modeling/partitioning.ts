import { DEFAULT_THRESHOLDS } from '../../artifacts/thresholds';
import { identifierFrom } from '../../postgres/names';
import type { PartitionPlan, PlannedTable } from './design-model';
import type { DesignSpec } from './spec';

/** Past this many rows a day, monthly partitions grow too large: partition by day. */
const DAILY_PARTITIONS_FROM = 10_000_000;
/** Rows per hash partition to aim for. */
const ROWS_PER_HASH_PARTITION = 50_000_000;

/**
 * Which tables to partition and how. The thresholds are analysis's (SW-A-NEEDS-PARTITIONING): the
 * design should not propose what analysis would flag a year later.
 *
 * Range by time when the entity has a timestamptz field and nothing references it: the key must be
 * in the primary key, so a referenced table partitioned by time could no longer be the target of a
 * plain `REFERENCES t(id)`. Hash by id otherwise, which keeps `id` alone unique.
 */
export function partitionPlans(spec: DesignSpec, tables: PlannedTable[], now: Date): PartitionPlan[] {
  const { partitionRows, partitionHorizonDays } = DEFAULT_THRESHOLDS;
  const referenced = new Set(tables.flatMap((t) => t.foreignKeys.map((fk) => fk.table)));
  return spec.entities.flatMap((entity): PartitionPlan[] => {
    const rows = entity.volume?.rows ?? 0;
    const growthPerDay = entity.volume?.growthPerDay ?? 0;
    const projectedRows = rows + growthPerDay * partitionHorizonDays;
    if (projectedRows < partitionRows) return [];
    const size =
      rows >= partitionRows
        ? `${rows} rows`
        : `${projectedRows} rows within ${partitionHorizonDays} days at ${growthPerDay} a day`;
    const timeField = entity.fields.find((f) => f.kind === 'scalar' && f.type === 'timestamptz' && !f.nullable);
    const retention = spec.requirements.retention[entity.name];
    if (timeField && !referenced.has(entity.table)) {
      const interval = growthPerDay >= DAILY_PARTITIONS_FROM ? 'day' : 'month';
      return [
        {
          table: entity.table,
          strategy: 'range',
          key: timeField.column,
          rows,
          growthPerDay,
          projectedRows,
          interval,
          partitions: rangePartitions(entity.table, interval, now),
          reason:
            `${entity.table} reaches ${size}: range partitions by ${timeField.column}, one per ${interval}, keep each small for vacuum and indexes and let queries on recent data skip the rest` +
            (retention
              ? `; the ${retention.text} retention becomes dropping partitions older than that instead of a DELETE`
              : '') +
            `. Create partitions ahead of time (pg_partman or a scheduled job); rows outside them land in the default partition.`,
        },
      ];
    }
    // Every unique constraint must contain the key: hash by a column all of them share, when
    // nothing references the table (a reference needs `id` unique on its own). Only a NOT NULL one:
    // the key joins the primary key, which would silently make a nullable column NOT NULL.
    const table = tables.find((t) => t.name === entity.table)!;
    const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
    const shared = table.uniques.reduce<string[] | undefined>(
      (common, u) => (common ? common.filter((c) => u.columns.includes(c)) : [...u.columns]),
      undefined,
    );
    const candidate = shared?.find((c) => notNull.has(c));
    const key = !referenced.has(entity.table) && candidate ? candidate : 'id';
    const modulus = Math.min(64, Math.max(4, 2 ** Math.ceil(Math.log2(projectedRows / ROWS_PER_HASH_PARTITION))));
    return [
      {
        table: entity.table,
        strategy: 'hash',
        key,
        rows,
        growthPerDay,
        projectedRows,
        interval: String(modulus),
        partitions: Array.from({ length: modulus }, (_, n) => ({
          name: identifierFrom(entity.table, `p${n}`),
          bound: `FOR VALUES WITH (MODULUS ${modulus}, REMAINDER ${n})`,
        })),
        reason:
          `${entity.table} reaches ${size}: ${modulus} hash partitions by ${key} keep each part small for vacuum and index builds` +
          (key !== 'id' ? ` (by ${key}, the column its unique constraints share, so they stay enforced)` : '') +
          (timeField
            ? ` (not range by ${timeField.column}: other tables reference ${entity.table}, and a time key would have to join its primary key)`
            : ' (it has no timestamptz field to range-partition by)') +
          '.',
      },
    ];
  });
}

/** The current period and the next two, plus a default partition for anything outside them. */
function rangePartitions(table: string, interval: string, now: Date): { name: string; bound: string }[] {
  const starts = [0, 1, 2, 3].map((n) =>
    interval === 'day'
      ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + n))
      : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + n, 1)),
  );
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const label = (d: Date) => (interval === 'day' ? day(d).replace(/-/g, '') : day(d).slice(0, 7).replace('-', ''));
  return [
    ...starts.slice(0, 3).map((start, n) => ({
      name: identifierFrom(table, label(start)),
      bound: `FOR VALUES FROM ('${day(start)}') TO ('${day(starts[n + 1]!)}')`,
    })),
    { name: identifierFrom(table, 'default'), bound: 'DEFAULT' },
  ];
}
