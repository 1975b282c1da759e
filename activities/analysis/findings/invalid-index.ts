import { qualified } from '../../../postgres/names';
import { analysisFinding, indexedRelations, type FindingKind } from './kind';

export const invalidIndex: FindingKind = {
  id: 'SW-A-INVALID-INDEX',
  severity: 'error',
  explanation:
    'An index left invalid, usually by a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed. PostgreSQL keeps updating it on every write but never uses it for a query, and a unique one may not be enforcing anything.',
  remedy:
    'Rebuild it with REINDEX INDEX CONCURRENTLY (a plain REINDEX on a partitioned table), or drop it when it is not ' +
    'needed.',
  find(context) {
    return indexedRelations(context.catalog).flatMap((relation) =>
      relation.indexes
        .filter((i) => !i.valid && !i.parentIndex)
        .map((index) =>
          analysisFinding(invalidIndex, {
            object: `${relation.schema}.${index.name}`,
            message: `index ${index.name} on ${relation.schema}.${relation.name} is invalid`,
            why: index.unique
              ? 'It costs every write and serves no query; as a unique index it probably failed on duplicate rows, which must be removed before it is rebuilt.'
              : 'It costs every write and serves no query until it is rebuilt.',
            fix: `REINDEX INDEX ${relation.partitioned ? '' : 'CONCURRENTLY '}${qualified(relation.schema, index.name)};`,
            evidence: {
              table: `${relation.schema}.${relation.name}`,
              unique: index.unique,
              definition: index.definition,
              bytes: index.stats.bytes,
            },
          }),
        ),
    );
  },
  examples: [
    {
      // A failed concurrent build cannot happen inside the example's transaction, so the example marks the index invalid the way the failure leaves it.
      name: 'an index left invalid by a failed concurrent build',
      sql: `CREATE TABLE public.upload (id int PRIMARY KEY, md5 text);
            CREATE INDEX upload_md5 ON public.upload (md5);
            UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.upload_md5'::regclass;`,
      expect: [
        { object: 'public.upload_md5', severity: 'error', fix: `REINDEX INDEX CONCURRENTLY public.upload_md5;` },
      ],
      fixResolves: true,
      locks: { 'public.upload': 'SHARE UPDATE EXCLUSIVE' },
      // Measured: the index is built anew; the table is not touched.
      rewrites: ['public.upload_md5'],
    },
  ],
};
