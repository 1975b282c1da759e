import { DEFAULT_THRESHOLDS } from '../../artifacts/thresholds';
import { identifierFrom } from '../../postgres/names';
import type { PartitionOption, PartitionPlan, PatternShape, PlannedTable } from './design-model';
import type { DesignSpec } from './spec';

/** Past this many rows a day, monthly partitions grow too large: partition by day. */
const DAILY_PARTITIONS_FROM = 10_000_000;
/** Rows per hash partition to aim for. */
const ROWS_PER_HASH_PARTITION = 50_000_000;
const DAY_SECONDS = 86_400;

export interface PartitionDecisions {
  partitions: PartitionPlan[];
  unpartitioned: { table: string; reason: string; options: PartitionOption[] }[];
}

/**
 * Which tables to partition and how. The thresholds are analysis's (SW-A-NEEDS-PARTITIONING): the
 * design should not propose what analysis would flag a year later.
 *
 * A table past them is partitioned by what its hot reads filter on, or not at all: each option (range
 * by a timestamptz column, hash by a column the reads compare for equality, none) is weighed by the
 * partitions a query of each read pattern probes, times its rate. A read without the key probes every
 * partition (about 85 over seven years of monthly ones); one with it, one. The first option that keeps
 * every hot read at one partition wins (range when the spec keeps rows for a retention period, so
 * retention is dropping partitions); when none does, the table stays whole: one index probe per read.
 * The key must join the primary key, so a referenced table is range-partitioned never, hash-partitioned
 * only by id or by the tenant key its (tenant, id) references carry.
 */
export function partitionPlans(
  spec: DesignSpec,
  tables: PlannedTable[],
  shapes: PatternShape[],
  now: Date,
): PartitionDecisions {
  const { partitionRows, partitionHorizonDays } = DEFAULT_THRESHOLDS;
  const decisions: PartitionDecisions = { partitions: [], unpartitioned: [] };
  for (const entity of spec.entities) {
    const rows = entity.volume?.rows ?? 0;
    const growthPerDay = entity.volume?.growthPerDay ?? 0;
    const projectedRows = rows + growthPerDay * partitionHorizonDays;
    if (projectedRows < partitionRows) continue;
    const table = tables.find((t) => t.name === entity.table)!;
    const size =
      rows >= partitionRows
        ? `${rows} rows`
        : `${projectedRows} rows within ${partitionHorizonDays} days at ${growthPerDay} a day`;
    const references = tables.flatMap((t) => t.foreignKeys.filter((fk) => fk.table === table.name && t !== table));
    const referenced = references.length > 0;
    const retention = spec.requirements.retention[entity.name];
    const reads = shapes.flatMap((shape) =>
      shape.kind === 'insert'
        ? []
        : shape.tables
            .filter((a) => a.table === table.name)
            .map((access) => ({ pattern: shape.pattern, perSecond: shape.perSecond, access })),
    );
    const probe = (partitions: number, prunes: (access: (typeof reads)[number]['access']) => boolean) =>
      reads.map((r) => ({ pattern: r.pattern, perSecond: r.perSecond, partitions: prunes(r.access) ? 1 : partitions }));

    const options: (PartitionOption & { interval: string })[] = [];
    const timeField = entity.fields.find((f) => f.kind === 'scalar' && f.type === 'timestamptz' && !f.nullable);
    if (timeField && !referenced) {
      const interval = growthPerDay >= DAILY_PARTITIONS_FROM ? 'day' : 'month';
      const days = interval === 'day' ? 1 : 30;
      const held = Math.ceil((retention?.seconds ?? partitionHorizonDays * DAY_SECONDS) / (days * DAY_SECONDS)) + 1;
      options.push({
        strategy: 'range',
        key: timeField.column,
        interval,
        partitions: held,
        probes: probe(held, (a) => a.range.includes(timeField.column) || a.equality.includes(timeField.column)),
      });
    }
    const modulus = Math.min(64, Math.max(4, 2 ** Math.ceil(Math.log2(projectedRows / ROWS_PER_HASH_PARTITION))));
    const notNull = new Set(table.columns.filter((c) => !c.nullable).map((c) => c.name));
    const tenantKeyed = references.every((fk) => fk.tenant) ? references[0]?.tenant?.referenced : undefined;
    const rowsOf = (column: string) =>
      column === 'id' ? (table.rows ?? 0) : (tables.find((t) => t.name === fk(column))?.rows ?? 0);
    const fk = (column: string) => table.foreignKeys.find((f) => f.column === column)?.table;
    // A join reaching the table by a column is a lookup by it too: a nested loop prunes to one partition per row.
    const keyed = (a: (typeof reads)[number]['access'], column: string) =>
      (a.equality.includes(column) && !a.list.includes(column)) || a.join.includes(column);
    const candidates = [
      ...new Set([
        ...reads.flatMap((r) => [...r.access.equality.filter((c) => keyed(r.access, c)), ...r.access.join]),
        'id',
      ]),
    ]
      .filter((c) => notNull.has(c) && (!referenced || c === 'id' || c === tenantKeyed))
      // More distinct values spread rows evenly: a ticket key before a tenant key (tenants differ in size).
      .sort((a, b) => rowsOf(b) - rowsOf(a));
    for (const column of candidates)
      options.push({
        strategy: 'hash',
        key: column,
        interval: String(modulus),
        partitions: modulus,
        probes: probe(modulus, (a) => keyed(a, column)),
      });
    const none = { strategy: 'none' as const, key: null, interval: '', partitions: 1, probes: probe(1, () => true) };
    const weight = (o: PartitionOption) => o.probes.reduce((sum, p) => sum + p.perSecond * p.partitions, 0);
    const best = options.map((o, n) => ({ o, n })).sort((x, y) => weight(x.o) - weight(y.o) || x.n - y.n)[0]?.o;
    const all = [...options, none].map(({ interval: _interval, ...option }) => option);
    const probesText = (o: PartitionOption) =>
      o.probes.map((p) => `'${p.pattern}' ${p.partitions}`).join(', ') || 'no reads in the spec';
    const weighed = [...options, none]
      .map((o) => `${o.strategy}${o.key ? ` by ${o.key}` : ''}: ${probesText(o)}`)
      .join('; ');
    if (!best || weight(best) > weight(none)) {
      decisions.unpartitioned.push({
        table: table.name,
        options: all,
        reason: `${table.name} reaches ${size}, yet every way to partition it makes a hot read probe more than one partition (partitions probed per query: ${weighed}): it stays one table, each read one index probe. Revisit when a read filters on a key that could partition it.`,
      });
      continue;
    }
    const key = best.key!;
    const partitions =
      best.strategy === 'range'
        ? rangePartitions(table.name, best.interval, now)
        : Array.from({ length: modulus }, (_, n) => ({
            name: identifierFrom(table.name, `p${n}`),
            bound: `FOR VALUES WITH (MODULUS ${modulus}, REMAINDER ${n})`,
          }));
    const reason =
      best.strategy === 'range'
        ? `${table.name} reaches ${size}: range partitions by ${key}, one per ${best.interval}, keep each small for vacuum and indexes, and its reads name ${key}, so each probes one partition` +
          (retention
            ? `; the ${retention.text} retention becomes dropping partitions older than that instead of a DELETE`
            : '')
        : `${table.name} reaches ${size}: ${modulus} hash partitions by ${key}, the column its hot reads compare for equality, so each read probes one partition and each part stays small for vacuum and index builds` +
          (referenced && key !== 'id' ? ` (references to it carry ${key}, so (${key}, id) stays unique)` : '');
    decisions.partitions.push({
      table: table.name,
      strategy: best.strategy as 'range' | 'hash',
      key,
      rows,
      growthPerDay,
      projectedRows,
      interval: best.interval,
      partitions,
      reason: `${reason}. Partitions probed per query: ${weighed}.`,
      maintenance: maintenanceOf(table.name, best.strategy as 'range' | 'hash', key, best.interval, retention?.text),
      options: all,
    });
  }
  return decisions;
}

/** What keeps the partitions going: said plainly, since the design's DDL creates only the first ones. */
function maintenanceOf(
  table: string,
  strategy: 'range' | 'hash',
  key: string,
  interval: string,
  retention: string | undefined,
): string {
  if (strategy === 'hash')
    return `Hash partitions need no creation over time.${retention ? ` The ${retention} retention is not a partition drop: it needs a batched DELETE job over all tenants and partitions (not automated by this design).` : ''}`;
  return (
    `Not automated by this design: create each ${interval}'s partition before it starts (pg_partman: SELECT partman.create_parent('${table}', '${key}', '1 ${interval}'); or a scheduled job running CREATE TABLE ... PARTITION OF ${table}), otherwise rows land in the default partition` +
    (retention
      ? `, and drop partitions older than ${retention} (ALTER TABLE ${table} DETACH PARTITION ... CONCURRENTLY, then DROP TABLE).`
      : '.')
  );
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
