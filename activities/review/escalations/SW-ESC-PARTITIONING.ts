import type { Escalation, EscalationOption } from '../../escalation';
import { ident, qualified } from '../rewrites/rewrite';
import { addedStep, catalogTable, exampleCatalog, exampleFinding, findingsOf, numberOf, textOf, type EscalationContext, type EscalationTrigger } from './trigger';

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
      : Array.from({ length: HASH_PARTITIONS }, (_, r) => `CREATE TABLE ${qualified(`${schema}${bare}_${r}`)} PARTITION OF ${name} FOR VALUES WITH (MODULUS ${HASH_PARTITIONS}, REMAINDER ${r})`);
  return [
    `CREATE TABLE ${name} (LIKE ${qualified(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) PARTITION BY ${strategy.toUpperCase()} (${ident(key)})`,
    ...partitions,
  ].join(';\n');
}

function escalationFor(table: string, evidence: Record<string, unknown>, context: EscalationContext): Escalation {
  const id = `${ID}:${table}`;
  const known = catalogTable(context, table);
  const planned = textOf(evidence, 'key');
  const timeColumn = (textOf(evidence, 'strategy') === 'range' ? planned : undefined) ?? known?.columns.find((c) => /^(timestamp|date)/.test(c.type))?.name;
  const hashKey = (textOf(evidence, 'strategy') === 'hash' ? planned : undefined) ?? known?.constraints.find((c) => c.kind === 'primary key')?.columns[0];
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
      replacement: [addedStep(context, `${id}:range`, twin(table, 'range', timeColumn), `DROP TABLE IF EXISTS ${qualified(`${table}_partitioned`)} CASCADE`)],
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
      replacement: [addedStep(context, `${id}:hash`, twin(table, 'hash', hashKey), `DROP TABLE IF EXISTS ${qualified(`${table}_partitioned`)} CASCADE`)],
    });
  }
  options.push({
    id: 'none-yet',
    title: 'Not yet',
    summary: 'Keep one table; review again when it grows further.',
    impact: { performance: 'No change now; indexes and vacuum keep growing with the table.', consistency: 'No change.', scalability: 'Partitioning later moves more data.' },
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
      ? { optionId: 'range-by-time', reason: 'Time ranges match how such tables are queried and let old data go by detaching partitions.' }
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
  raise(context) {
    const byTable = new Map<string, Record<string, unknown>>();
    for (const finding of [...findingsOf(context, ANALYSIS), ...findingsOf(context, MODELING)]) {
      if (finding.object) byTable.set(finding.object, { ...byTable.get(finding.object), ...finding.evidence });
    }
    return [...byTable].sort(([a], [b]) => a.localeCompare(b)).map(([table, evidence]) => escalationFor(table, evidence, context));
  },
  examples: {
    fires: [
      {
        title: 'a large event table with a time column',
        analysisFindings: [exampleFinding(ANALYSIS, 'public.event', { rows: 80_000_000, bytes: 30e9 })],
        catalog: exampleCatalog({ 'public.event': { columns: { id: 'bigint', at: 'timestamp with time zone', payload: 'jsonb' }, primaryKey: ['id'] } }),
        ids: [`${ID}:public.event`],
      },
      { title: 'a modeling plan', modelingFindings: [exampleFinding(MODELING, 'public.metric', { strategy: 'hash', key: 'device_id' })], ids: [`${ID}:public.metric`] },
    ],
    quiet: [{ title: 'no volume finding', analysisFindings: [exampleFinding('SW-A-SEQ-SCAN', 'public.event', {})], ids: [] }],
  },
};
