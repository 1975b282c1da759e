import type { Table } from '../../../postgres/introspection';
import { qualified } from '../../../postgres/names';
import { analysisFinding, ownTables, type FindingKind } from './kind';

/** The column a time-range partitioning would most likely use: the first timestamp or date column. */
function timeColumn(table: Table): string | undefined {
  return table.columns.find((c) => /^(timestamp|date)/.test(c.baseType))?.name;
}

export const needsPartitioning: FindingKind = {
  id: 'SW-A-NEEDS-PARTITIONING',
  severity: 'warning',
  explanation:
    'A table that is not partitioned although it is past the volume thresholds now, or will be within the horizon at the growth rate the spec gives. Past that size, vacuum, index builds and deleting old data get slow, and partitioning it later means moving every row.',
  remedy:
    'Plan a partitioned copy of the table (range by a time column for append-mostly data, hash by a key otherwise), ' +
    'move the rows in batches and swap the names in one transaction, before it grows further.',
  find(context) {
    const { partitionRows, partitionBytes, partitionHorizonDays } = context.thresholds;
    return ownTables(context.catalog)
      .filter((t) => t.kind === 'table')
      .flatMap((table) => {
        const name = `${table.schema}.${table.name}`;
        const hint = context.volumes[name] ?? (table.schema === 'public' ? context.volumes[table.name] : undefined);
        const rows = Math.max(table.stats.rowEstimate ?? 0, hint?.rows ?? 0);
        const bytes = table.stats.totalBytes;
        const growthPerDay = hint?.growthPerDay;
        const projected = rows + (growthPerDay ?? 0) * partitionHorizonDays;
        if (rows < partitionRows && bytes < partitionBytes && projected < partitionRows) return [];
        const column = timeColumn(table);
        const reason =
          rows >= partitionRows || bytes >= partitionBytes
            ? `has ${rows} rows and ${Math.round(bytes / 1024 ** 3)} GiB`
            : `will pass ${partitionRows} rows within ${partitionHorizonDays} days at ${growthPerDay} rows a day`;
        return [
          analysisFinding(needsPartitioning, {
            object: name,
            message: `${name} ${reason} and is not partitioned`,
            why: 'Partitioning keeps each piece small for vacuum and indexes, lets queries skip old data, and turns retention into DROP of a partition instead of a huge DELETE.',
            // Advice, not a one-statement fix: the rows have to move, and the key must include the partition column.
            fix: `CREATE TABLE ${qualified(table.schema, `${table.name}_partitioned`)} (LIKE ${qualified(table.schema, table.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (${column ?? '<time column>'});\n-- then create partitions, move rows in batches, and swap the names in one transaction.`,
            evidence: { rows, bytes, ...(growthPerDay !== undefined ? { growthPerDay } : {}) },
          }),
        ];
      });
  },
  examples: [
    {
      name: 'an event table with 80 million rows',
      sql: 'CREATE TABLE public.event (id bigint PRIMARY KEY, kind text, at timestamptz NOT NULL); CREATE TABLE public.config (id int PRIMARY KEY);',
      statistics: (catalog) => {
        catalog.tables.find((t) => t.name === 'event')!.stats.rowEstimate = 80_000_000;
      },
      expect: [
        {
          object: 'public.event',
          message: 'public.event has 80000000 rows and 0 GiB and is not partitioned',
          evidence: { rows: 80_000_000, bytes: 16384 },
        },
      ],
      // The first step runs: the new partitioned table is made beside the old, which keeps no lock after reading its definition.
      fixRuns: true,
    },
    {
      name: 'a small table the spec says grows by 200,000 rows a day',
      sql: 'CREATE TABLE public.metric (id bigint PRIMARY KEY, at timestamptz, value float8);',
      options: { volumes: { metric: { rows: 1_000_000, growthPerDay: 200_000 } } },
      expect: [
        {
          object: 'public.metric',
          message: 'public.metric will pass 50000000 rows within 365 days at 200000 rows a day and is not partitioned',
          evidence: { rows: 1_000_000, bytes: 8192, growthPerDay: 200_000 },
          fix: 'CREATE TABLE public.metric_partitioned (LIKE public.metric INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (at);\n-- then create partitions, move rows in batches, and swap the names in one transaction.',
        },
      ],
    },
  ],
};
