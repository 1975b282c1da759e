import { quoteIdent, qualified } from '../../../postgres/names';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import type { MigrationStep } from '../../../artifacts/migration';
import { body, findNodes, isObject, names, relationName, type Json } from '../../../postgres/ast';
import { shapeOfTypeName } from '../locks/column-types';
import { sqlOf } from '../rewrites/rewrite';
import {
  addedStep,
  catalogTable,
  findingsOf,
  numberOf,
  rebuildSteps,
  sizeOf,
  slotName,
  statementsInSteps,
  statementsOf,
  textOf,
  type LocatedStatement,
} from './context';
import { exampleCatalog, exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-PARTITIONING';
const ANALYSIS = 'SW-A-NEEDS-PARTITIONING';
const MODELING = 'SW-M-PARTITION-PLAN';
const HASH_PARTITIONS = 8;

/**
 * The first step of partitioning an existing table: its partitioned twin with partitions, which the
 * application does not see yet. Moving the rows (batched copy with a sync trigger) and the swap are
 * a migration of their own once the key is chosen.
 */
function twin(table: string, strategy: 'range' | 'hash', key: string): string {
  const name = qualified(`${table}_partitioned`);
  const bare = `${table.split('.').pop()}_partitioned`;
  const schema = table.includes('.') ? `${table.slice(0, table.lastIndexOf('.'))}.` : '';
  const partitions =
    strategy === 'range'
      ? [`CREATE TABLE ${qualified(`${schema}${bare}_default`)} PARTITION OF ${name} DEFAULT`]
      : Array.from(
          { length: HASH_PARTITIONS },
          (_, r) =>
            `CREATE TABLE ${qualified(`${schema}${bare}_${r}`)} PARTITION OF ${name} FOR VALUES WITH (MODULUS ${HASH_PARTITIONS}, REMAINDER ${r})`,
        );
  return [
    `CREATE TABLE ${name} (LIKE ${qualified(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) PARTITION BY ${strategy.toUpperCase()} (${quoteIdent(key)})`,
    ...partitions,
  ].join(';\n');
}

type Strategy = 'range' | 'hash';

/** A table the migration itself creates (the design flow): its CREATE TABLE and the partitions created of it. */
interface DesignedTable {
  create: LocatedStatement;
  partitions: LocatedStatement[];
}

function designedTable(context: EscalationContext, table: string): DesignedTable | undefined {
  const all = statementsOf(context);
  const named = (relation: unknown) => sizeOf(context, relationName(relation) ?? '').table === table;
  const create = all.find(
    (s) => s.statement.kind === 'CreateStmt' && !body(s.statement).partbound && named(body(s.statement).relation),
  );
  if (!create) return undefined;
  const partitions = all.filter(
    (s) =>
      s.statement.kind === 'CreateStmt' &&
      body(s.statement).partbound &&
      findNodes(body(s.statement).inhRelations, 'RangeVar').some(named),
  );
  return { create, partitions };
}

/** Primary key and unique columns: a partitioned table's unique keys must include the partition key. */
function uniqueKeys(create: Json): string[][] {
  const keys: string[][] = [];
  for (const element of Array.isArray(create.tableElts) ? create.tableElts : []) {
    if (!isObject(element)) continue;
    if (
      isObject(element.Constraint) &&
      ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'].includes(String(element.Constraint.contype))
    )
      keys.push(names(element.Constraint.keys));
    if (isObject(element.ColumnDef)) {
      const column = element.ColumnDef;
      if (
        findNodes(column.constraints, 'Constraint').some(
          (c) => c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE',
        )
      )
        keys.push([String(column.colname)]);
    }
  }
  return keys;
}

function columnsOf(create: Json): { name: string; type: string }[] {
  return findNodes(create.tableElts, 'ColumnDef').map((c) => ({
    name: String(c.colname),
    type: shapeOfTypeName(c.typeName).name,
  }));
}

/** The CREATE TABLE with the given partitioning (or none) and the partitions that go with it, as steps for the create's slot. */
function designedAs(
  designed: DesignedTable,
  table: string,
  strategy: Strategy | undefined,
  key: string,
  hashPartitions: number,
): MigrationStep[] {
  const node = structuredClone(designed.create.statement.node) as unknown as { CreateStmt: Json };
  delete node.CreateStmt.partspec;
  if (strategy)
    node.CreateStmt.partspec = {
      strategy: `PARTITION_STRATEGY_${strategy.toUpperCase()}`,
      partParams: [{ PartitionElem: { name: key } }],
    };
  const bare = table.split('.').pop()!;
  const schema = table.slice(0, table.lastIndexOf('.'));
  const partitions =
    strategy === 'range'
      ? [`CREATE TABLE ${qualified(`${schema}.${bare}_default`)} PARTITION OF ${qualified(table)} DEFAULT`]
      : strategy === 'hash'
        ? Array.from(
            { length: hashPartitions },
            (_, r) =>
              `CREATE TABLE ${qualified(`${schema}.${bare}_${r}`)} PARTITION OF ${qualified(table)} FOR VALUES WITH (MODULUS ${hashPartitions}, REMAINDER ${r})`,
          )
        : [];
  return [
    {
      kind: designed.create.step.kind,
      name: `${slotName(designed.create)}~${strategy ?? 'unpartitioned'}`,
      sql: [sqlOf(node), ...partitions].join(';\n'),
    },
  ];
}

/** A table the migration creates: keep the design's partitioning, switch strategy where the unique keys allow, or create it unpartitioned. */
function designEscalation(
  table: string,
  designed: DesignedTable,
  evidence: Record<string, unknown>,
  context: EscalationContext,
): Escalation {
  const id = `${ID}:${table}`;
  const create = body(designed.create.statement);
  const spec = isObject(create.partspec) ? create.partspec : undefined;
  const designedStrategy = spec
    ? String(spec.strategy)
        .replace(/^PARTITION_STRATEGY_/, '')
        .toLowerCase()
    : undefined;
  const elements = spec ? findNodes(spec.partParams, 'PartitionElem') : [];
  // An expression key (date_trunc('day', at)) has no column name; the other options are built on one column.
  const currentKey = elements.length === 1 && typeof elements[0]!.name === 'string' ? elements[0]!.name : undefined;
  // The design as one of the range/hash options below; a list or expression design is kept as an option of its own.
  const current: Strategy | undefined =
    currentKey && (designedStrategy === 'range' || designedStrategy === 'hash') ? designedStrategy : undefined;
  const keys = uniqueKeys(create);
  const fits = (key: string) => keys.every((k) => k.includes(key));
  const columns = columnsOf(create);
  const timeColumn =
    (current === 'range' ? currentKey : undefined) ??
    columns.find((c) => /^(timestamptz|timestamp|date)$/.test(c.type) && fits(c.name))?.name;
  const hashKey = (current === 'hash' ? currentKey : undefined) ?? keys[0]?.find(fits) ?? keys[0]?.[0];
  const planned = numberOf(evidence, 'interval') ?? Number(textOf(evidence, 'interval'));
  const hashPartitions = current === 'hash' && Number.isInteger(planned) && planned > 1 ? planned : HASH_PARTITIONS;
  const inSteps = statementsInSteps(context, [
    ...new Set([designed.create, ...designed.partitions].map((s) => s.step.name)),
  ]);
  const partitionSet = new Set(designed.partitions);
  const replaceWith = (strategy: Strategy | undefined, key: string) =>
    rebuildSteps(inSteps, (s) =>
      s === designed.create
        ? designedAs(designed, table, strategy, key, hashPartitions)
        : partitionSet.has(s)
          ? []
          : undefined,
    );
  const options: EscalationOption[] = [];
  if (designedStrategy && !current) {
    const keyText =
      currentKey ??
      (elements.every((e) => typeof e.name === 'string')
        ? elements.map((e) => String(e.name)).join(', ')
        : 'an expression');
    options.push({
      id: 'as-designed',
      title: `${designedStrategy[0]!.toUpperCase()}${designedStrategy.slice(1)} partitions by ${keyText} (as designed)`,
      summary: `Keep the design: ${table} partitioned by ${designedStrategy} of ${keyText}, with its partitions.`,
      impact: {
        performance: 'Queries filtering on the partition key scan only their partitions.',
        consistency: 'Unique keys include the partition key columns.',
        scalability: 'Old data goes by detaching or dropping partitions, without DELETE or VACUUM.',
      },
      risk: 'low',
      blockingSeconds: 0,
    });
  }
  if (timeColumn && (current === 'range' || fits(timeColumn))) {
    options.push({
      id: 'range-by-time',
      title: `Range partitions by ${timeColumn}${current === 'range' ? ' (as designed)' : ''}`,
      summary:
        current === 'range'
          ? `Keep the design: ${table} partitioned by range of ${timeColumn}, with its partitions.`
          : `Create ${table} partitioned by range of ${timeColumn}, with a default partition (time ranges added ahead of time).`,
      impact: {
        performance: `Queries filtering on ${timeColumn} scan only their partitions.`,
        consistency: `Unique keys include ${timeColumn}.`,
        scalability: 'Old data goes by detaching or dropping partitions, without DELETE or VACUUM.',
      },
      risk: 'low',
      blockingSeconds: 0,
      ...(current === 'range' ? {} : { replacement: replaceWith('range', timeColumn) }),
    });
  }
  if (hashKey && (current === 'hash' || fits(hashKey))) {
    options.push({
      id: 'hash-by-key',
      title: `Hash partitions by ${hashKey}${current === 'hash' ? ' (as designed)' : ''}`,
      summary:
        current === 'hash'
          ? `Keep the design: ${table} in ${hashPartitions} hash partitions on ${hashKey}.`
          : `Create ${table} in ${hashPartitions} hash partitions on ${hashKey}.`,
      impact: {
        performance: `Lookups by ${hashKey} touch one partition; range scans touch all.`,
        consistency: `Unique keys include ${hashKey}.`,
        scalability: 'Writes and vacuum spread evenly; the partition count is fixed without a re-partition.',
      },
      risk: 'low',
      blockingSeconds: 0,
      ...(current === 'hash' ? {} : { replacement: replaceWith('hash', hashKey) }),
    });
  }
  options.push({
    id: 'none-yet',
    title: designedStrategy ? 'Not yet: one plain table' : 'Not yet: one plain table (as designed)',
    summary: `Create ${table} unpartitioned; partitioning it later means moving its rows in a migration of their own.`,
    impact: {
      performance: 'Simplest now; indexes and vacuum grow with the table.',
      consistency: 'Any unique key is possible.',
      scalability: 'Partitioning later moves every row.',
    },
    risk: 'medium',
    blockingSeconds: 0,
    ...(designedStrategy ? { replacement: replaceWith(undefined, '') } : {}),
  });
  const designedOption = options.find((o) => o.replacement === undefined)!;
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `${table} is expected to reach ${(numberOf(evidence, 'rows') ?? 0).toLocaleString('en')} rows${numberOf(evidence, 'growthPerDay') ? `, growing ${numberOf(evidence, 'growthPerDay')!.toLocaleString('en')} a day` : ''}: how to partition it is decided now, while it is empty.`,
    attempted: ["Checked which partition keys the table's primary and unique keys allow."],
    options,
    recommendation: {
      optionId: designedOption.id,
      reason:
        'It is the design modeling derived from the expected volume and how the table is referenced; partitioning an empty table costs nothing now.',
    },
    principles: ['Partitioning strategy: query patterns vs maintenance complexity'],
    evidence: { table, ...evidence },
    steps: [...new Set([designed.create, ...designed.partitions].map((s) => s.step.name))],
  };
}

function escalationFor(table: string, evidence: Record<string, unknown>, context: EscalationContext): Escalation {
  const designed = designedTable(context, table);
  if (designed) return designEscalation(table, designed, evidence, context);
  const id = `${ID}:${table}`;
  const known = catalogTable(context, table);
  const planned = textOf(evidence, 'key');
  const timeColumn =
    (textOf(evidence, 'strategy') === 'range' ? planned : undefined) ??
    known?.columns.find((c) => /^(timestamp|date)/.test(c.type))?.name;
  const hashKey =
    (textOf(evidence, 'strategy') === 'hash' ? planned : undefined) ??
    known?.constraints.find((c) => c.kind === 'primary key')?.columns[0];
  const rows = numberOf(evidence, 'rows');
  const growth = numberOf(evidence, 'growthPerDay');
  const options: EscalationOption[] = [];
  if (timeColumn) {
    options.push({
      id: 'range-by-time',
      title: `Range partitions by ${timeColumn}`,
      summary: `Create ${table}_partitioned, partitioned by range of ${timeColumn} (a default partition first; monthly ones added ahead of time, e.g. by pg_partman); rows move and the tables swap in a follow-up migration.`,
      impact: {
        performance: `Queries filtering on ${timeColumn} scan only their partitions; queries without it scan all.`,
        consistency: `Unique keys must include ${timeColumn}.`,
        scalability: 'Old data is dropped or archived by detaching a partition, without DELETE or VACUUM.',
      },
      risk: 'medium',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:range`,
          twin(table, 'range', timeColumn),
          `DROP TABLE IF EXISTS ${qualified(`${table}_partitioned`)} CASCADE`,
        ),
      ],
    });
  }
  if (hashKey) {
    options.push({
      id: 'hash-by-key',
      title: `Hash partitions by ${hashKey}`,
      summary: `Create ${table}_partitioned with ${HASH_PARTITIONS} hash partitions on ${hashKey}; rows move and the tables swap in a follow-up migration.`,
      impact: {
        performance: `Lookups by ${hashKey} touch one partition; range scans touch all.`,
        consistency: `Unique keys must include ${hashKey}.`,
        scalability: 'Spreads writes and vacuum work evenly; the partition count is fixed without a re-partition.',
      },
      risk: 'medium',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:hash`,
          twin(table, 'hash', hashKey),
          `DROP TABLE IF EXISTS ${qualified(`${table}_partitioned`)} CASCADE`,
        ),
      ],
    });
  }
  options.push({
    id: 'none-yet',
    title: 'Not yet',
    summary: 'Keep one table; review again when it grows further.',
    impact: {
      performance: 'No change now; indexes and vacuum keep growing with the table.',
      consistency: 'No change.',
      scalability: 'Partitioning later moves more data.',
    },
    risk: 'medium',
    blockingSeconds: null,
  });
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `${table} ${rows !== undefined ? `has ${rows.toLocaleString('en')} rows` : 'is large'}${growth !== undefined ? ` and grows ${growth.toLocaleString('en')} rows a day` : ''}: past the partitioning threshold.`,
    attempted: ['Looked for a time column for range partitioning and a key for hash partitioning.'],
    options,
    recommendation: timeColumn
      ? {
          optionId: 'range-by-time',
          reason: 'Time ranges match how such tables are queried and let old data go by detaching partitions.',
        }
      : hashKey
        ? { optionId: 'hash-by-key', reason: 'No time column: hash partitions spread the table evenly by its key.' }
        : { optionId: 'none-yet', reason: 'Neither a time column nor a key is known to partition by.' },
    principles: ['Partitioning strategy: query patterns vs maintenance complexity'],
    evidence: { table, ...evidence },
    steps: [],
  };
}

export const partitioning: EscalationTrigger = {
  id: ID,
  explanation: `A table whose volume or growth crosses the threshold (${ANALYSIS}) or that modeling plans to partition (${MODELING}) needs a partitioning decision: by time, by key, or not yet.`,
  remedy: 'Pick one option: range partitions by a time column, hash partitions by a key, or one plain table for now.',
  raise(context) {
    const byTable = new Map<string, Record<string, unknown>>();
    for (const finding of [...findingsOf(context, ANALYSIS), ...findingsOf(context, MODELING)]) {
      const table = finding.object && sizeOf(context, finding.object).table;
      if (table) byTable.set(table, { ...byTable.get(table), ...finding.evidence });
    }
    return [...byTable]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, evidence]) => escalationFor(table, evidence, context));
  },
  examples: {
    fires: [
      {
        title: 'a large event table with a time column',
        analysisFindings: [exampleFinding(ANALYSIS, 'public.event', { rows: 80_000_000, bytes: 30e9 })],
        catalog: exampleCatalog({
          'public.event': {
            columns: { id: 'bigint', at: 'timestamp with time zone', payload: 'jsonb' },
            primaryKey: ['id'],
          },
        }),
        ids: [`${ID}:public.event`],
      },
      {
        title: 'a modeling plan for an existing table',
        modelingFindings: [exampleFinding(MODELING, 'metric', { strategy: 'hash', key: 'device_id' })],
        ids: [`${ID}:public.metric`],
      },
      {
        title: 'a table the design creates partitioned',
        sql:
          'CREATE TABLE sample (id bigint, recorded_at timestamptz NOT NULL, value float8, PRIMARY KEY (id, recorded_at)) PARTITION BY RANGE (recorded_at);\n' +
          "CREATE TABLE sample_2026 PARTITION OF sample FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        modelingFindings: [
          exampleFinding(MODELING, 'sample', {
            table: 'sample',
            rows: 1e9,
            growthPerDay: 2e7,
            strategy: 'range',
            key: 'recorded_at',
            interval: 'day',
          }),
        ],
        ids: [`${ID}:public.sample`],
      },
      {
        title: 'a table the design partitions by an expression',
        sql: "CREATE TABLE reading (device_id bigint NOT NULL, at timestamp NOT NULL, value float8) PARTITION BY RANGE (date_trunc('day', at))",
        modelingFindings: [exampleFinding(MODELING, 'reading', { table: 'reading', rows: 1e9, strategy: 'range' })],
        ids: [`${ID}:public.reading`],
      },
      {
        title: 'a table the design partitions by list',
        sql:
          'CREATE TABLE shipment (id bigint, region text NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region);\n' +
          "CREATE TABLE shipment_eu PARTITION OF shipment FOR VALUES IN ('eu')",
        modelingFindings: [
          exampleFinding(MODELING, 'shipment', { table: 'shipment', rows: 1e9, strategy: 'list', key: 'region' }),
        ],
        ids: [`${ID}:public.shipment`],
      },
    ],
    quiet: [
      { title: 'no volume finding', analysisFindings: [exampleFinding('SW-A-SEQ-SCAN', 'public.event', {})], ids: [] },
    ],
  },
};
