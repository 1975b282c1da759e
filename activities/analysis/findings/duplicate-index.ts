import type { Index } from '../../../postgres/introspection';
import { analysisFinding, dropIndexLock, dropIndexSql, indexedRelations, type FindingKind } from './kind';

/** Two indexes with this shape answer the same queries; uniqueness is left out, the unique one is kept. */
export function indexShape(index: Index): string {
  return JSON.stringify([index.method, index.keys, index.include, index.predicate, index.nullsNotDistinct]);
}

/** Which of identical indexes to keep: one a constraint or a parent index needs, then a unique one, then the first by name. */
function keepOrder(a: Index, b: Index): number {
  const needed = (i: Index) => Number(!!i.constraint || !!i.parentIndex);
  return needed(b) - needed(a) || Number(b.unique) - Number(a.unique) || (a.name < b.name ? -1 : 1);
}

export const duplicateIndex: FindingKind = {
  id: 'SW-A-DUPLICATE-INDEX',
  severity: 'warning',
  explanation:
    'Two valid indexes on the same table with the same method, keys, INCLUDE columns and predicate. The second one serves no query the first cannot; it only slows every write and takes space.',
  remedy: 'Drop one of the two: DROP INDEX CONCURRENTLY, or drop the constraint it backs.',
  find(context) {
    return indexedRelations(context.catalog).flatMap((relation) => {
      const groups = new Map<string, Index[]>();
      for (const index of relation.indexes.filter((i) => i.valid))
        groups.set(indexShape(index), [...(groups.get(indexShape(index)) ?? []), index]);
      return [...groups.values()]
        .filter((group) => group.length > 1)
        .flatMap((group) => {
          const [kept, ...extra] = group.sort(keepOrder);
          // A non-unique duplicate of a unique index is redundant; two unique ones are both enforcing, and the second is the copy.
          return extra
            .filter((index) => !index.parentIndex)
            .map((index) =>
              analysisFinding(duplicateIndex, {
                object: `${relation.schema}.${index.name}`,
                message: `index ${index.name} on ${relation.schema}.${relation.name} duplicates ${kept!.name}`,
                why: `A duplicate index costs every INSERT, UPDATE and DELETE and its disk and cache space, and answers nothing the other does not. ${dropIndexLock(relation, index)}`,
                fix: dropIndexSql(relation, index),
                evidence: {
                  table: `${relation.schema}.${relation.name}`,
                  duplicateOf: kept!.name,
                  bytes: index.stats.bytes,
                  scans: index.stats.scans,
                  definition: index.definition,
                },
              }),
            );
        });
    });
  },
  examples: [
    {
      name: 'a plain index repeating the primary key',
      sql: 'CREATE TABLE public.member (id int PRIMARY KEY, email text); CREATE INDEX member_id_idx ON public.member (id);',
      expect: [
        {
          object: 'public.member_id_idx',
          message: 'index member_id_idx on public.member duplicates member_pkey',
          fix: 'DROP INDEX CONCURRENTLY public.member_id_idx;',
        },
      ],
      fixResolves: true,
      locks: { 'public.member': 'SHARE UPDATE EXCLUSIVE' },
    },
    {
      name: 'a unique constraint repeating a unique index keeps the constraint',
      sql: `CREATE TABLE public.slug (value text, CONSTRAINT slug_value_key UNIQUE (value));
            CREATE UNIQUE INDEX slug_value_idx ON public.slug (value);`,
      expect: [{ object: 'public.slug_value_idx', evidence: { table: 'public.slug', duplicateOf: 'slug_value_key' } }],
      fixResolves: true,
      locks: { 'public.slug': 'SHARE UPDATE EXCLUSIVE' },
    },
    {
      name: "a partition's own index repeating the one it inherits",
      sql: `CREATE TABLE public.sale (at date, store int) PARTITION BY RANGE (at);
            CREATE INDEX sale_store ON public.sale (store);
            CREATE TABLE public.sale_2026 PARTITION OF public.sale FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE INDEX sale_2026_store_again ON public.sale_2026 (store);`,
      expect: [
        {
          object: 'public.sale_2026_store_again',
          evidence: { table: 'public.sale_2026', duplicateOf: 'sale_2026_store_idx' },
        },
      ],
      fixResolves: true,
      locks: { 'public.sale_2026': 'SHARE UPDATE EXCLUSIVE' },
    },
    {
      name: 'different predicates, methods or orders are different indexes',
      sql: `CREATE TABLE public.job (id int, state text, run_at timestamptz);
            CREATE INDEX ON public.job (run_at); CREATE INDEX ON public.job (run_at DESC);
            CREATE INDEX ON public.job (run_at) WHERE state = 'ready'; CREATE INDEX ON public.job USING brin (run_at);`,
      expect: [],
    },
  ],
};
