import type { Catalog, Table } from '../../../postgres/introspection';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import type { MigrationStep } from '../../../artifacts/migration';
import { body, findNodes, relationName } from '../../../postgres/ast';
import { createIndexConcurrently } from '../rewrites/create-index-concurrently';
import { sqlOf } from '../rewrites/rewrite';
import type { Finding } from '../../../artifacts/findings';
import {
  blockingOf,
  catalogTable,
  deferOption,
  findingsOf,
  groupSharingSteps,
  numberOf,
  rebuildSteps,
  slotName,
  sizeOf,
  statementsInSteps,
  statementsOf,
  type LocatedStatement,
} from './context';
import { exampleCatalog, exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-INDEX-WRITE-OVERHEAD';

/** A designed table with this many indexes (its primary key's included) at a write-heavy rate is a decision. */
export const DESIGN_INDEXES_FROM = 3;

/** Writes per second past which every extra index is a cost worth a decision. */
export const WRITE_HEAVY_PER_SECOND = 50;
/** Without write counters, a table this large is taken as one where index maintenance matters. */
export const WRITE_HEAVY_ROWS = 10_000_000;

/**
 * pg_stat_user_tables' n_tup_ins/upd/del, when introspection collects them under these names.
 * SEAM: the catalog's TableStats has no write counters yet; until it does, sizes decide.
 */
interface WriteCounters {
  tuplesInserted?: number;
  tuplesUpdated?: number;
  tuplesDeleted?: number;
}

/** Writes per second since the counters started, or undefined when the catalog has no counters. */
export function writesPerSecond(table: Table | undefined, catalog: Catalog | undefined): number | undefined {
  const stats = table?.stats as (Table['stats'] & WriteCounters) | undefined;
  if (!stats || !catalog || stats.tuplesInserted === undefined) return undefined;
  const since = Date.parse(catalog.stats.statsResetAt ?? catalog.stats.serverStartedAt);
  const seconds = Math.max(1, (Date.parse(catalog.meta.introspectedAt) - since) / 1000);
  return ((stats.tuplesInserted ?? 0) + (stats.tuplesUpdated ?? 0) + (stats.tuplesDeleted ?? 0)) / seconds;
}

interface WriteLoad {
  table: string;
  rows: number | null;
  writesPerSecond?: number;
}

function writeLoad(located: LocatedStatement, context: EscalationContext): WriteLoad | undefined {
  if (located.statement.kind !== 'IndexStmt') return undefined;
  const table = relationName(body(located.statement).relation)!;
  const rows = located.impacts[0]?.rows ?? null;
  if (rows === 0) return undefined;
  const rate = writesPerSecond(catalogTable(context, table), context.catalog);
  const heavy = rate !== undefined ? rate >= WRITE_HEAVY_PER_SECOND : rows !== null && rows >= WRITE_HEAVY_ROWS;
  return heavy ? { table: sizeOf(context, table).table, rows, writesPerSecond: rate } : undefined;
}

/** Used by SW-ESC-MIGRATION-DOWNTIME: such an index is escalated here, with its online form as an option. */
export function writeHeavyIndex(located: LocatedStatement, context: EscalationContext): boolean {
  return writeLoad(located, context) !== undefined;
}

/** Built concurrently, except on a partitioned table: PostgreSQL cannot build its index concurrently. */
function partialIndex(located: LocatedStatement, name: string, concurrent: boolean): MigrationStep | undefined {
  const stmt = body(located.statement);
  const first = findNodes(stmt.indexParams, 'IndexElem')[0];
  if (stmt.whereClause !== undefined || !first || typeof first.name !== 'string') return undefined;
  const node = structuredClone(located.statement.node) as unknown as { IndexStmt: Record<string, unknown> };
  node.IndexStmt.concurrent = concurrent;
  node.IndexStmt.whereClause = {
    NullTest: { arg: { ColumnRef: { fields: [{ String: { sval: first.name } }] } }, nulltesttype: 'IS_NOT_NULL' },
  };
  return concurrent
    ? { kind: 'non-transactional', name, sql: sqlOf(node) }
    : { kind: located.step.kind, name, sql: `${sqlOf(node)};` };
}

function escalationFor(
  group: { objects: string[]; items: { located: LocatedStatement; load: WriteLoad }[] },
  context: EscalationContext,
): Escalation {
  const stepNames = [...new Set(group.items.map((i) => i.located.step.name))];
  const inSteps = statementsInSteps(context, stepNames);
  const concerned = new Set(group.items.map((i) => i.located.statement));
  const online = rebuildSteps(inSteps, (s) =>
    concerned.has(s.statement)
      ? createIndexConcurrently.rewrite(s.statement, {
          pgVersion: context.pgVersion,
          catalog: context.catalog,
          stepName: slotName(s),
        })
      : undefined,
  );
  const partitioned = group.items
    .filter((i) => catalogTable(context, i.load.table)?.partitioning)
    .map((i) => i.load.table);
  const partials = new Map(
    group.items.map((i) => [
      i.located,
      partialIndex(i.located, `${slotName(i.located)}~partial`, !partitioned.includes(i.load.table)),
    ]),
  );
  const loads = group.items.map((i) => i.load);
  const rate = loads.map((l) => l.writesPerSecond).filter((r): r is number => r !== undefined);
  const writes = rate.length
    ? `${Math.round(Math.max(...rate)).toLocaleString('en')} writes/s`
    : `${Math.max(...loads.map((l) => l.rows ?? 0)).toLocaleString('en')} rows (no write counters)`;
  const options: EscalationOption[] = [
    {
      id: 'index',
      title: partitioned.length ? 'Add the index' : 'Add the index (built concurrently)',
      summary: partitioned.length
        ? `Create the index as asked; ${partitioned.join(', ')} ${partitioned.length > 1 ? 'are' : 'is'} partitioned, which PostgreSQL cannot index concurrently, so writes wait during the build.`
        : 'Create the index as asked, CONCURRENTLY in its own step so writes go on during the build.',
      impact: {
        performance: `Reads that use it get faster; every insert, and every update of an indexed column, also writes the index (${writes}).`,
        consistency: 'No change.',
        scalability: 'Write cost and storage grow with the table; a UNIQUE index also serializes conflicting inserts.',
      },
      risk: 'low',
      blockingSeconds: blockingOf(online, context),
      replacement: online,
    },
  ];
  if ([...partials.values()].every((p) => p !== undefined)) {
    const replacement = rebuildSteps(inSteps, (s) => (partials.has(s) ? [partials.get(s)!] : undefined));
    options.push({
      id: 'partial-index',
      title: 'Partial index: only rows with a key',
      summary:
        'Index only the rows whose first key column is not NULL: queries that filter on it still use the index; rows without it cost no index write.',
      impact: {
        performance:
          'Smaller index and fewer index writes when many rows have no key; queries must imply the predicate to use it.',
        consistency: 'No change.',
        scalability: 'Grows with the keyed rows only.',
      },
      risk: 'low',
      blockingSeconds: blockingOf(replacement, context),
      replacement,
    });
  }
  options.push(
    deferOption(
      'no-index',
      'No index',
      'Leave the index out: writes stay as fast as they are, the queries it was for keep their plans.',
      {
        performance: 'No write overhead; the queries it was for stay as slow as they are.',
        consistency: 'No change.',
        scalability: 'Those queries slow down as the table grows.',
      },
      inSteps,
      concerned,
      context,
    ),
  );
  const veryHeavy = rate.some((r) => r >= 20 * WRITE_HEAVY_PER_SECOND);
  const partial = options.some((o) => o.id === 'partial-index');
  return {
    id: `${ID}:${group.objects.join('+')}`,
    trigger: ID,
    task: context.task,
    problem: `A new index on ${group.objects.join(', ')}, a write-heavy table (${writes}): every write pays for it from now on.`,
    attempted: [
      "Read the table's write counters (or, without them, its size).",
      "Built the index's concurrent form and a partial variant.",
    ],
    options,
    recommendation:
      veryHeavy && partial
        ? {
            optionId: 'partial-index',
            reason:
              'At this write rate the smaller index keeps most of the read benefit for a fraction of the write cost.',
          }
        : {
            optionId: 'index',
            reason: `The read benefit usually outweighs one more index write per row${partitioned.length ? '' : '; built concurrently it blocks nothing'}.`,
          },
    principles: ['Indexing strategy: query performance vs write and storage overhead'],
    evidence: { tables: loads },
    steps: stepNames,
  };
}

/**
 * A design's write amplification, from its index plan (SW-M-INDEX-PLAN): per table written at least
 * WRITE_HEAVY_PER_SECOND a second, every write updates each of its indexes, and an UPDATE setting an
 * indexed column loses the HOT (in-place) path. The cheaper option leaves out the indexes whose reads
 * are rarer than the table's writes.
 */
function designEscalations(context: EscalationContext): Escalation[] {
  const byTable = new Map<string, Finding[]>();
  for (const finding of findingsOf(context, 'SW-M-INDEX-PLAN')) {
    const table = String(finding.evidence?.table ?? '');
    byTable.set(table, [...(byTable.get(table) ?? []), finding]);
  }
  return [...byTable].flatMap(([table, planned]): Escalation[] => {
    const writes = numberOf(planned[0]!.evidence, 'tableWritesPerSecond') ?? 0;
    const indexes = planned.length + 1;
    if (writes < WRITE_HEAVY_PER_SECOND || indexes < DESIGN_INDEXES_FROM) return [];
    const hotLost = [...new Set(planned.flatMap((f) => (f.evidence?.hotUpdatesLost as string[] | undefined) ?? []))];
    const cold = planned.filter(
      (f) => f.evidence?.origin === 'access-pattern' && (numberOf(f.evidence, 'readsPerSecond') ?? 0) < writes,
    );
    const coldNames = new Set(cold.map((f) => String(f.evidence?.index)));
    const located = statementsOf(context).filter(
      (s) => s.statement.kind === 'IndexStmt' && coldNames.has(String(body(s.statement).idxname)),
    );
    const stepNames = [...new Set(located.map((s) => s.step.name))];
    const amplification = `${indexes} indexes × ${writes.toLocaleString('en')} writes/s = ${(indexes * writes).toLocaleString('en')} index entries written a second`;
    const options: EscalationOption[] = [
      {
        id: 'keep-indexes',
        title: 'Keep every planned index',
        summary: `Build the ${indexes - 1} planned indexes with the table: each read pattern keeps its index.`,
        impact: {
          performance: `Reads as planned; ${amplification}${hotLost.length ? `, and ${hotLost.map((p) => `'${p}'`).join(', ')} update${hotLost.length > 1 ? '' : 's'} an indexed column, so those updates are never HOT` : ''}.`,
          consistency: 'No change.',
          scalability: 'Write cost, WAL and vacuum work grow with every index.',
        },
        risk: 'low',
        blockingSeconds: null,
      },
    ];
    if (located.length > 0)
      options.push(
        deferOption(
          'fewer-indexes',
          'Leave out the indexes read less often than the table is written',
          `Leave out ${[...coldNames].join(', ')}: each serves reads rarer than the ${writes.toLocaleString('en')} writes/s it would tax.`,
          {
            performance: `${coldNames.size} fewer index writes per row written; the reads they served scan another index or the table.`,
            consistency: 'No change.',
            scalability: 'Writes scale further; those reads slow as the table grows.',
          },
          statementsInSteps(context, stepNames),
          new Set(located.map((s) => s.statement)),
          context,
        ),
      );
    return [
      {
        id: `${ID}:design:${table}`,
        trigger: ID,
        task: context.task,
        problem: `The design gives ${table}, written ${writes.toLocaleString('en')} times a second, ${indexes} indexes: ${amplification}${hotLost.length ? `; updates that set an indexed column lose HOT (${hotLost.join(', ')})` : ''}.`,
        attempted: [
          "Counted the design's indexes per table against the spec's write rates (SW-M-INDEX-PLAN).",
          'Compared each index’s read rate with its table’s write rate.',
        ],
        options,
        recommendation:
          located.length > 0
            ? {
                optionId: 'fewer-indexes',
                reason: 'An index read less often than its table is written costs more than it saves.',
              }
            : { optionId: 'keep-indexes', reason: 'Every index is read more often than its table is written.' },
        principles: ['Indexing strategy: query performance vs write and storage overhead'],
        evidence: { table, indexes, writesPerSecond: writes, hotUpdatesLost: hotLost, cold: [...coldNames] },
        steps: stepNames,
      },
    ];
  });
}

export const indexWriteOverhead: EscalationTrigger = {
  id: ID,
  explanation:
    `An index speeds reads and taxes every write. On a write-heavy table (${WRITE_HEAVY_PER_SECOND}+ writes/s by the statistics, or ${WRITE_HEAVY_ROWS.toLocaleString('en')}+ rows without them) ` +
    'a person weighs that: index, partial index, or no index. For a design, per table written ' +
    `${WRITE_HEAVY_PER_SECOND}+ times a second by the spec with ${DESIGN_INDEXES_FROM}+ indexes: the write amplification (indexes × writes) and the updates that lose HOT, with the option of leaving out indexes read less often than the table is written.`,
  remedy:
    'Pick one option: add the index (built concurrently), a partial index over the rows that need it, or no index.',
  raise(context) {
    const items = statementsOf(context).flatMap((located) => {
      const load = writeLoad(located, context);
      return load ? [{ located, load, objects: [load.table] }] : [];
    });
    return [...groupSharingSteps(items).map((group) => escalationFor(group, context)), ...designEscalations(context)];
  },
  examples: {
    fires: [
      {
        title: 'an index on a 200M-row table',
        sql: 'CREATE INDEX events_user ON events (user_id)',
        tableSizes: { 'public.events': { rows: 200_000_000, bytes: 80e9 } },
        ids: [`${ID}:public.events`],
      },
      {
        title: 'a design giving a table written 900 times a second three indexes, one read less often than that',
        sql: 'CREATE TABLE message (id bigint, ticket_id bigint, body text);\nCREATE INDEX message_ticket_id_idx ON message (ticket_id);\nCREATE INDEX message_body_idx ON message (body)',
        modelingFindings: [
          exampleFinding('SW-M-INDEX-PLAN', 'message_ticket_id_idx', {
            table: 'message',
            index: 'message_ticket_id_idx',
            origin: 'access-pattern',
            tableWritesPerSecond: 900,
            readsPerSecond: 3000,
            hotUpdatesLost: [],
          }),
          exampleFinding('SW-M-INDEX-PLAN', 'message_body_idx', {
            table: 'message',
            index: 'message_body_idx',
            origin: 'access-pattern',
            tableWritesPerSecond: 900,
            readsPerSecond: 5,
            hotUpdatesLost: ['edit a message'],
          }),
        ],
        ids: [`${ID}:design:message`],
      },
      {
        title: 'an index on a 200M-row partitioned table (built as written)',
        sql: 'CREATE INDEX clicks_user ON clicks (user_id)',
        tableSizes: { 'public.clicks': { rows: 200_000_000, bytes: 80e9 } },
        catalog: exampleCatalog({
          'public.clicks': {
            columns: { id: 'bigint', user_id: 'bigint', at: 'timestamp with time zone' },
            partitioning: { strategy: 'range', key: 'at' },
          },
        }),
        ids: [`${ID}:public.clicks`],
      },
    ],
    quiet: [
      {
        title: 'an index on a small table',
        sql: 'CREATE INDEX events_user ON events (user_id)',
        tableSizes: { 'public.events': { rows: 50_000, bytes: 10e6 } },
        ids: [],
      },
      {
        title: 'a design whose indexed table is written rarely',
        sql: 'CREATE TABLE note (id bigint, tag text);\nCREATE INDEX note_tag_idx ON note (tag)',
        modelingFindings: [
          exampleFinding('SW-M-INDEX-PLAN', 'note_tag_idx', {
            table: 'note',
            index: 'note_tag_idx',
            origin: 'access-pattern',
            tableWritesPerSecond: 5,
            readsPerSecond: 500,
          }),
          exampleFinding('SW-M-INDEX-PLAN', 'note_body_idx', {
            table: 'note',
            index: 'note_body_idx',
            origin: 'access-pattern',
            tableWritesPerSecond: 5,
            readsPerSecond: 1,
          }),
        ],
        ids: [],
      },
      {
        title: 'an index on a table created in the same migration',
        sql: 'CREATE TABLE events (user_id bigint);\nCREATE INDEX events_user ON events (user_id)',
        tableSizes: { 'public.events': { rows: 200_000_000, bytes: 80e9 } },
        ids: [],
      },
    ],
  },
};
