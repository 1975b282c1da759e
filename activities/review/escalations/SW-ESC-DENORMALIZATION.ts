import type { Escalation, EscalationOption } from '../../escalation';
import { ident, qualified } from '../rewrites/rewrite';
import { addedStep, catalogTable, exampleCatalog, exampleFinding, findingsOf, joinedName, numberOf, selectOf, type EscalationContext, type EscalationTrigger } from './trigger';
import type { Finding } from '../../findings';

const ID = 'SW-ESC-DENORMALIZATION';
const HOT_JOIN = 'SW-M-HOT-JOIN';
/** Joins per second past which a precomputed result is worth its staleness. */
const MATERIALIZE_PER_SECOND = 1000;

/** Indexes for the foreign keys between the joined tables that no index leads with: what keeps the normalized join cheap. */
function missingJoinIndexes(tables: string[], context: EscalationContext): string[] {
  const known = tables.map((t) => catalogTable(context, t)).filter((t) => t !== undefined);
  const names = new Set(known.map((t) => `${t.schema}.${t.name}`));
  return known.flatMap((t) =>
    t.constraints
      .filter((c) => c.kind === 'foreign key' && c.references && names.has(c.references.table))
      .filter((c) => !t.indexes.some((i) => c.columns.every((col, n) => i.keys[n] === col)))
      .map((c) => `CREATE INDEX CONCURRENTLY ${ident(`${t.name}_${c.columns.join('_')}_idx`)} ON ${qualified(`${t.schema}.${t.name}`)} (${c.columns.map(ident).join(', ')})`),
  );
}

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const tables = (Array.isArray(finding.evidence?.tables) ? finding.evidence.tables : []).map(String);
  const pattern = typeof finding.evidence?.pattern === 'string' ? finding.evidence.pattern : undefined;
  const perSecond = numberOf(finding.evidence, 'perSecond');
  const id = `${ID}:${tables.join('+')}`;
  const indexes = missingJoinIndexes(tables, context);
  const select = selectOf(pattern);
  const view = qualified(`${joinedName(tables)}_hot`);
  const options: EscalationOption[] = [
    {
      id: 'normalized-indexes',
      title: 'Stay normalized, index the join',
      summary: indexes.length ? `Keep the tables as they are and index the join keys: ${indexes.length} index(es) built concurrently.` : 'Keep the tables as they are: the join keys are already indexed.',
      impact: {
        performance: `Each of the ${perSecond ?? 'many'} joins/s stays a ${tables.length}-table join, on indexes.`,
        consistency: 'One copy of each fact: always consistent.',
        scalability: 'The join cost grows with fan-out, not with table size.',
      },
      risk: 'low',
      blockingSeconds: 0,
      ...(indexes.length ? { replacement: indexes.map((sql, n) => addedStep(context, `${id}:index${n + 1}`, sql, undefined, 'non-transactional')) } : {}),
    },
    {
      id: 'denormalized-column',
      title: 'Denormalize: copy the joined values into the hot table, kept by trigger',
      summary: 'Copy the columns the hot query reads from the joined tables into the table it starts from, maintained by triggers on the source tables; modeling drafts the columns and triggers once this is chosen.',
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
      replacement: [addedStep(context, `${id}:view`, `CREATE MATERIALIZED VIEW ${view} AS ${select}`, `DROP MATERIALIZED VIEW IF EXISTS ${view}`)],
    });
  }
  const materialize = select !== undefined && (perSecond ?? 0) >= MATERIALIZE_PER_SECOND;
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `A hot access pattern joins ${tables.length} tables (${tables.join(', ')})${perSecond !== undefined ? ` ${perSecond.toLocaleString('en')} times a second` : ''}${pattern ? `: ${pattern}` : ''}.`,
    attempted: ['Checked the join keys for indexes.', select ? 'Parsed the pattern as a query for a materialized view.' : 'The pattern is not a single SELECT: no materialized view is drafted.'],
    options,
    recommendation: materialize
      ? { optionId: 'materialized-view', reason: `At ${perSecond} joins/s a precomputed result saves the most, if the readers tolerate the refresh interval.` }
      : { optionId: 'normalized-indexes', reason: 'Indexed joins at this rate are cheap, and a single copy of each fact cannot drift.' },
    principles: ['Normalization vs denormalization: data consistency vs query performance'],
    evidence: { pattern, tables, perSecond },
    steps: [],
  };
}

export const denormalization: EscalationTrigger = {
  id: ID,
  explanation: `A hot access pattern joining 3+ tables (${HOT_JOIN}) trades consistency against read speed: normalized with indexes, denormalized by trigger, or a materialized view.`,
  raise(context) {
    return findingsOf(context, HOT_JOIN)
      .filter((f) => Array.isArray(f.evidence?.tables) && f.evidence.tables.length >= 3)
      .map((f) => escalationFor(f, context));
  },
  examples: {
    fires: [
      {
        title: 'an order page joining four tables 2,000 times a second',
        modelingFindings: [
          exampleFinding(HOT_JOIN, 'order-page', {
            pattern: 'SELECT o.id, c.name, p.title FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id',
            tables: ['public.orders', 'public.customers', 'public.order_lines', 'public.products'],
            perSecond: 2000,
          }),
        ],
        catalog: exampleCatalog({ 'public.orders': { columns: { id: 'bigint', customer_id: 'bigint' }, primaryKey: ['id'] } }),
        ids: [`${ID}:public.orders+public.customers+public.order_lines+public.products`],
      },
    ],
    quiet: [{ title: 'a two-table join', modelingFindings: [exampleFinding(HOT_JOIN, 'x', { pattern: 'orders by customer', tables: ['public.orders', 'public.customers'], perSecond: 5000 })], ids: [] }],
  },
};
