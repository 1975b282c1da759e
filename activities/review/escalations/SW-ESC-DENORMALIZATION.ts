import { quoteIdent, qualified } from '../../../postgres/names';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import { bareName } from '../rewrites/rewrite';
import { knownTables, type KnownTable } from './known-tables';
import { addedStep, findingsOf, joinedName, numberOf, selectOf, sizeOf } from './context';
import { exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';
import type { Finding } from '../../../artifacts/findings';

const ID = 'SW-ESC-DENORMALIZATION';
const HOT_JOIN = 'SW-M-HOT-JOIN';
/** Joins per second past which a precomputed result is worth its staleness. */
const MATERIALIZE_PER_SECOND = 1000;

/**
 * Indexes for the foreign keys between the joined tables that no index leads with: what keeps the
 * normalized join cheap. Built CONCURRENTLY, except on a partitioned table, where PostgreSQL refuses it.
 */
function missingJoinIndexes(tables: string[], known: Map<string, KnownTable>): { sql: string; concurrent: boolean }[] {
  return tables.flatMap((name) => {
    const table = known.get(name);
    if (!table) return [];
    return table.foreignKeys
      .filter((fk) => tables.includes(fk.references))
      .filter(
        (fk) =>
          ![...table.indexes, table.primaryKey].some((index) => fk.columns.every((column, n) => index[n] === column)),
      )
      .map((fk) => ({
        sql: `CREATE INDEX${table.partitioned ? '' : ' CONCURRENTLY'} ${quoteIdent(`${bareName(name)}_${fk.columns.join('_')}_idx`.slice(0, 63))} ON ${qualified(name)} (${fk.columns.map(quoteIdent).join(', ')})`,
        concurrent: !table.partitioned,
      }));
  });
}

/**
 * The hot join as one query, joining the tables along their foreign keys from the first one; every
 * column selected under `<table>_<column>`. Undefined when the tables are not all connected or not known.
 */
function joinQuery(tables: string[], known: Map<string, KnownTable>): string | undefined {
  if (tables.length === 0 || tables.some((t) => !known.get(t)?.columns.length)) return undefined;
  const alias = new Map<string, string>([[tables[0]!, 't1']]);
  const joins: string[] = [];
  let grew = true;
  while (grew && alias.size < tables.length) {
    grew = false;
    for (const next of tables.filter((t) => !alias.has(t))) {
      for (const [joined, joinedAlias] of alias) {
        const outgoing = known
          .get(next)!
          .foreignKeys.find((fk) => fk.references === joined && fk.refColumns.length === fk.columns.length);
        const incoming = known
          .get(joined)!
          .foreignKeys.find((fk) => fk.references === next && fk.refColumns.length === fk.columns.length);
        const edge = outgoing ?? incoming;
        if (!edge) continue;
        const nextAlias = `t${alias.size + 1}`;
        const [from, to] = outgoing ? [nextAlias, joinedAlias] : [joinedAlias, nextAlias];
        joins.push(
          `JOIN ${qualified(next)} ${nextAlias} ON ${edge.columns.map((c, n) => `${from}.${quoteIdent(c)} = ${to}.${quoteIdent(edge.refColumns[n]!)}`).join(' AND ')}`,
        );
        alias.set(next, nextAlias);
        grew = true;
        break;
      }
    }
  }
  if (alias.size < tables.length) return undefined;
  const columns = [...alias].flatMap(([table, a]) =>
    known.get(table)!.columns.map((c) => `${a}.${quoteIdent(c)} AS ${quoteIdent(`${bareName(table)}_${c}`)}`),
  );
  return `SELECT ${columns.join(', ')} FROM ${qualified(tables[0]!)} t1 ${joins.join(' ')}`.trim();
}

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const tables = (Array.isArray(finding.evidence?.tables) ? finding.evidence.tables : []).map(
    (t) => sizeOf(context, String(t)).table,
  );
  const pattern = typeof finding.evidence?.pattern === 'string' ? finding.evidence.pattern : undefined;
  const perSecond = numberOf(finding.evidence, 'perSecond');
  const id = `${ID}:${tables.join('+')}`;
  const known = knownTables(context);
  const indexes = missingJoinIndexes(tables, known);
  const select = selectOf(pattern) ?? joinQuery(tables, known);
  const view = qualified(`${joinedName(tables)}_hot`);
  const options: EscalationOption[] = [
    {
      id: 'normalized-indexes',
      title: 'Stay normalized, index the join',
      summary: indexes.length
        ? `Keep the tables as they are and index the join keys: ${indexes.length} index(es) built concurrently.`
        : 'Keep the tables as they are: the join keys are already indexed.',
      impact: {
        performance: `Each of the ${perSecond ?? 'many'} joins/s stays a ${tables.length}-table join, on indexes.`,
        consistency: 'One copy of each fact: always consistent.',
        scalability: 'The join cost grows with fan-out, not with table size.',
      },
      risk: 'low',
      blockingSeconds: 0,
      ...(indexes.length
        ? {
            replacement: indexes.map((index, n) =>
              addedStep(
                context,
                `${id}:index${n + 1}`,
                index.sql,
                undefined,
                index.concurrent ? 'non-transactional' : 'transactional',
              ),
            ),
          }
        : {}),
    },
    {
      id: 'denormalized-column',
      title: 'Denormalize: copy the joined values into the hot table, kept by trigger',
      summary:
        'Copy the columns the hot query reads from the joined tables into the table it starts from, maintained by triggers on the source tables; modeling drafts the columns and triggers once this is chosen.',
      impact: {
        performance: 'The hot read becomes a single-table read; every write to a source table also updates the copies.',
        consistency: 'Copies are kept in the same transaction by the triggers; a bug in them makes the copies drift.',
        scalability: 'Write amplification grows with fan-out.',
      },
      risk: 'medium',
      blockingSeconds: null,
    },
  ];
  if (select) {
    options.push({
      id: 'materialized-view',
      title: 'Materialized view of the hot query',
      summary: `Precompute the join in ${view}, refreshed on a schedule (REFRESH MATERIALIZED VIEW CONCURRENTLY needs a unique index on it).`,
      impact: {
        performance: 'Reads are a scan of a precomputed table; each refresh recomputes the whole join.',
        consistency: 'Stale between refreshes.',
        scalability: 'Refresh cost grows with the tables; fine for read-mostly data.',
      },
      risk: 'medium',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:view`,
          `CREATE MATERIALIZED VIEW ${view} AS ${select}`,
          `DROP MATERIALIZED VIEW IF EXISTS ${view}`,
        ),
      ],
    });
  }
  const materialize = select !== undefined && (perSecond ?? 0) >= MATERIALIZE_PER_SECOND;
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `A hot access pattern joins ${tables.length} tables (${tables.join(', ')})${perSecond !== undefined ? ` ${perSecond.toLocaleString('en')} times a second` : ''}${pattern ? `: ${pattern}` : ''}.`,
    attempted: [
      'Checked the join keys for indexes.',
      select
        ? 'Drafted the join as a query for a materialized view.'
        : 'Found no query for the pattern nor foreign keys joining its tables: no materialized view is drafted.',
    ],
    options,
    recommendation: materialize
      ? {
          optionId: 'materialized-view',
          reason: `At ${perSecond} joins/s a precomputed result saves the most, if the readers tolerate the refresh interval.`,
        }
      : {
          optionId: 'normalized-indexes',
          reason: 'Indexed joins at this rate are cheap, and a single copy of each fact cannot drift.',
        },
    principles: ['Normalization vs denormalization: data consistency vs query performance'],
    evidence: { pattern, tables, perSecond },
    steps: [],
  };
}

export const denormalization: EscalationTrigger = {
  id: ID,
  explanation: `A hot access pattern joining 3+ tables (${HOT_JOIN}) trades consistency against read speed: normalized with indexes, denormalized by trigger, or a materialized view.`,
  remedy:
    'Pick one option: stay normalized and index the join, copy the joined values into the hot table kept by a ' +
    'trigger, or a materialized view of the query.',
  raise(context) {
    return findingsOf(context, HOT_JOIN)
      .filter((f) => Array.isArray(f.evidence?.tables) && f.evidence.tables.length >= 3)
      .map((f) => escalationFor(f, context));
  },
  examples: {
    fires: [
      {
        title: 'an order page joining four tables the design creates, 2,000 times a second',
        sql: [
          'CREATE TABLE shop_customer (id bigint PRIMARY KEY, name text)',
          'CREATE TABLE shop_product (id bigint PRIMARY KEY, title text)',
          'CREATE TABLE shop_order (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES shop_customer)',
          'CREATE TABLE shop_line (order_id bigint REFERENCES shop_order (id), product_id bigint REFERENCES shop_product (id), PRIMARY KEY (order_id, product_id))',
        ].join(';\n'),
        modelingFindings: [
          exampleFinding(HOT_JOIN, 'order page', {
            pattern: 'order page',
            tables: ['shop_order', 'shop_customer', 'shop_line', 'shop_product'],
            perSecond: 2000,
          }),
        ],
        ids: [`${ID}:public.shop_order+public.shop_customer+public.shop_line+public.shop_product`],
      },
      {
        // Its options must run: no index is built CONCURRENTLY on the partitioned table, and a key added later counts.
        title: 'the same join with a hash-partitioned line table whose primary key is added after it',
        sql: [
          'CREATE TABLE part_customer (id bigint PRIMARY KEY, name text)',
          'CREATE TABLE part_product (id bigint PRIMARY KEY, title text)',
          'CREATE TABLE part_order (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES part_customer)',
          'CREATE TABLE part_line (order_id bigint NOT NULL REFERENCES part_order (id), product_id bigint NOT NULL REFERENCES part_product (id)) PARTITION BY HASH (order_id)',
          'CREATE TABLE part_line_p0 PARTITION OF part_line FOR VALUES WITH (MODULUS 2, REMAINDER 0)',
          'CREATE TABLE part_line_p1 PARTITION OF part_line FOR VALUES WITH (MODULUS 2, REMAINDER 1)',
          'ALTER TABLE part_line ADD CONSTRAINT part_line_pkey PRIMARY KEY (order_id, product_id)',
        ].join(';\n'),
        modelingFindings: [
          exampleFinding(HOT_JOIN, 'order page', {
            pattern: 'order page',
            tables: ['part_order', 'part_customer', 'part_line', 'part_product'],
            perSecond: 2000,
          }),
        ],
        ids: [`${ID}:public.part_order+public.part_customer+public.part_line+public.part_product`],
      },
    ],
    quiet: [
      {
        title: 'a two-table join',
        modelingFindings: [
          exampleFinding(HOT_JOIN, 'x', {
            pattern: 'orders by customer',
            tables: ['public.orders', 'public.customers'],
            perSecond: 5000,
          }),
        ],
        ids: [],
      },
    ],
  },
};
