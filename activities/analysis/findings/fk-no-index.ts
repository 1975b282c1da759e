import type { Constraint, Table } from '../../../postgres/introspection';
import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, type FindingKind } from './kind';

/** An index serves the foreign key when its leading plain columns are the key's columns, in any order. */
function isServed(table: Table, fk: Constraint): boolean {
  return table.indexes.some((index) => {
    if (!index.valid || index.predicate || index.method !== 'btree') return false;
    const leading = index.keys.slice(0, fk.columns.length);
    return (
      leading.length === fk.columns.length &&
      index.keyIsColumn.slice(0, fk.columns.length).every(Boolean) &&
      fk.columns.every((c) => leading.includes(quoteIdent(c)))
    );
  });
}

export const foreignKeyWithoutIndex: FindingKind = {
  id: 'SW-A-FK-NO-INDEX',
  severity: 'warning',
  explanation:
    'A foreign key whose columns lead no index. Every DELETE or key UPDATE on the referenced table then scans the referencing table, holding its locks while it does, and joins along the key cannot use an index.',
  remedy: "Create an index that leads with the foreign key's columns, CONCURRENTLY on a live table.",
  find(context) {
    // Partitions too: a key declared on a partition (as dumps of older versions do) is the partition's own.
    return context.catalog.tables
      .filter((t) => t.kind !== 'foreign')
      .flatMap((table) =>
        table.constraints
          .filter((c) => c.kind === 'foreign key' && !c.inherited && !isServed(table, c))
          .map((fk) => {
            // A partitioned table cannot build an index concurrently; its partitions each can, but that is a longer recipe.
            const concurrently = table.kind === 'partitioned' ? '' : 'CONCURRENTLY ';
            const name = identifierFrom(table.name, ...fk.columns, 'idx');
            return analysisFinding(foreignKeyWithoutIndex, {
              object: `${table.schema}.${table.name}`,
              message: `foreign key ${fk.name} on ${table.schema}.${table.name} (${fk.columns.join(', ')}) has no index that starts with its columns`,
              why: `Deleting or re-keying a row of ${fk.references?.table} scans ${table.schema}.${table.name} for referencing rows, and joins on the key scan too.`,
              fix: `CREATE INDEX ${concurrently}${quoteIdent(name)} ON ${qualified(table.schema, table.name)} (${fk.columns.map(quoteIdent).join(', ')});`,
              evidence: {
                constraint: fk.name,
                columns: fk.columns,
                references: fk.references,
                rows: table.stats.rowEstimate,
              },
            });
          }),
      );
  },
  examples: [
    {
      name: 'an order line pointing at its order without an index',
      sql: `CREATE TABLE public.orders (id int PRIMARY KEY);
            CREATE TABLE public.order_line (id int PRIMARY KEY, order_id int REFERENCES public.orders, sku text);`,
      expect: [
        {
          object: 'public.order_line',
          message:
            'foreign key order_line_order_id_fkey on public.order_line (order_id) has no index that starts with its columns',
          fix: 'CREATE INDEX CONCURRENTLY order_line_order_id_idx ON public.order_line (order_id);',
        },
      ],
      fixResolves: true,
    },
    {
      name: 'a composite key served by an index on the same columns in another order, or by the primary key',
      sql: `CREATE TABLE public.tag (ns int, name text, PRIMARY KEY (ns, name));
            CREATE TABLE public.post_tag (ns int, name text, post int, PRIMARY KEY (ns, name, post), FOREIGN KEY (ns, name) REFERENCES public.tag);
            CREATE TABLE public.tag_alias (ns int, name text, alias text, FOREIGN KEY (ns, name) REFERENCES public.tag);
            CREATE INDEX ON public.tag_alias (name, ns);`,
      expect: [],
    },
    {
      name: 'a partial index does not count',
      sql: `CREATE TABLE public.account (id int PRIMARY KEY);
            CREATE TABLE public.invoice (id int PRIMARY KEY, account_id int REFERENCES public.account, paid boolean);
            CREATE INDEX ON public.invoice (account_id) WHERE NOT paid;`,
      expect: [
        {
          object: 'public.invoice',
          evidence: {
            constraint: 'invoice_account_id_fkey',
            columns: ['account_id'],
            references: { table: 'public.account', columns: ['id'] },
            rows: null,
          },
        },
      ],
    },
  ],
};
