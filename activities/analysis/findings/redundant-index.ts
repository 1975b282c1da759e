import type { Index } from '../../../postgres/introspection';
import { analysisFinding, dropIndexLock, dropIndexSql, indexedRelations, type FindingKind } from './kind';

/** `covering` answers every query `index` answers: same method and predicate, and `index`'s keys start `covering`'s. */
function covers(covering: Index, index: Index): boolean {
  return (
    covering.valid &&
    covering.method === 'btree' &&
    covering.predicate === index.predicate &&
    covering.keys.length > index.keys.length &&
    index.keys.every((key, position) => covering.keys[position] === key)
  );
}

export const redundantIndex: FindingKind = {
  id: 'SW-A-REDUNDANT-INDEX',
  severity: 'warning',
  explanation:
    'A btree index whose keys are a leading prefix of another btree index on the same table (same predicate). The longer index serves the same lookups and sorts; the shorter one only costs writes. Unique indexes are kept: they enforce something.',
  remedy: 'Drop the shorter index with DROP INDEX CONCURRENTLY, or through the constraint it backs.',
  find(context) {
    return indexedRelations(context.catalog).flatMap((relation) =>
      relation.indexes
        .filter(
          (i) =>
            i.valid && i.method === 'btree' && !i.unique && !i.constraint && !i.parentIndex && i.include.length === 0,
        )
        .flatMap((index) => {
          const covering = relation.indexes
            .filter((other) => other !== index && covers(other, index))
            .sort((a, b) => a.keys.length - b.keys.length || (a.name < b.name ? -1 : 1))[0];
          if (!covering) return [];
          return [
            analysisFinding(redundantIndex, {
              object: `${relation.schema}.${index.name}`,
              message: `index ${index.name} (${index.keys.join(', ')}) on ${relation.schema}.${relation.name} is a prefix of ${covering.name} (${covering.keys.join(', ')})`,
              why: `${covering.name} serves every lookup and sort on (${index.keys.join(', ')}); the shorter index only costs writes and space. It is smaller, so check hot queries first. ${dropIndexLock(relation, index)}`,
              fix: dropIndexSql(relation, index),
              evidence: {
                table: `${relation.schema}.${relation.name}`,
                coveredBy: covering.name,
                bytes: index.stats.bytes,
                scans: index.stats.scans,
              },
            }),
          ];
        }),
    );
  },
  examples: [
    {
      name: 'an index on (customer_id) beside one on (customer_id, created_at)',
      sql: `CREATE TABLE public.purchase (id int PRIMARY KEY, customer_id int, created_at timestamptz);
            CREATE INDEX purchase_customer ON public.purchase (customer_id);
            CREATE INDEX purchase_customer_created ON public.purchase (customer_id, created_at);`,
      expect: [
        {
          object: 'public.purchase_customer',
          message:
            'index purchase_customer (customer_id) on public.purchase is a prefix of purchase_customer_created (customer_id, created_at)',
          fix: 'DROP INDEX CONCURRENTLY public.purchase_customer;',
        },
      ],
      fixResolves: true,
      locks: { 'public.purchase': 'SHARE UPDATE EXCLUSIVE' },
    },
    {
      name: 'a unique prefix, a different predicate or a different direction is not redundant',
      sql: `CREATE TABLE public.seat (id int PRIMARY KEY, row_no int, seat_no int, sold boolean);
            CREATE INDEX ON public.seat (id, row_no);
            CREATE INDEX ON public.seat (row_no) WHERE sold; CREATE INDEX ON public.seat (row_no, seat_no);
            CREATE INDEX ON public.seat (seat_no DESC); CREATE INDEX ON public.seat (seat_no, row_no);`,
      expect: [],
    },
  ],
};
