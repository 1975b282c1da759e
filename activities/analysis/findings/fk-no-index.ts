import { identifyingParts, keyIsIndexed, uniqueKeysOf, type Constraint } from '../../../postgres/introspection';
import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, type FindingKind } from './kind';

export const foreignKeyWithoutIndex: FindingKind = {
  id: 'SW-A-FK-NO-INDEX',
  severity: 'warning',
  explanation:
    'A foreign key whose columns lead no index. Every DELETE or key UPDATE on the referenced table then scans the referencing table, holding its locks while it does, and joins along the key cannot use an index.',
  remedy: "Create an index that leads with the foreign key's columns, CONCURRENTLY on a live table.",
  find(context) {
    const partsOf = (fk: Constraint) =>
      identifyingParts(
        fk.columns,
        fk.references?.columns ?? [],
        uniqueKeysOf(context.table(fk.references?.table ?? '')),
      );
    // Partitions too: a key declared on a partition (as dumps of older versions do) is the partition's own.
    return context.catalog.tables
      .filter((t) => t.kind !== 'foreign')
      .flatMap((table) =>
        table.constraints
          .filter((c) => c.kind === 'foreign key' && !c.inherited && !keyIsIndexed(context.catalog, table, partsOf(c)))
          .map((fk) => {
            // A partitioned table cannot build an index concurrently; its partitions each can, but that is a longer recipe.
            const concurrently = table.kind === 'partitioned' ? '' : 'CONCURRENTLY ';
            const name = identifierFrom(table.name, ...fk.columns, 'idx');
            return analysisFinding(foreignKeyWithoutIndex, {
              object: `${table.schema}.${table.name}`,
              message: `foreign key ${fk.name} on ${table.schema}.${table.name} (${fk.columns.join(', ')}) has no index that starts with its columns`,
              why: `Deleting or re-keying a row of ${fk.references?.table} scans ${table.schema}.${table.name} for referencing rows, and joins on the key scan too. ${
                concurrently
                  ? 'The index is built CONCURRENTLY, under SHARE UPDATE EXCLUSIVE: reads and writes go on.'
                  : 'A partitioned table cannot be indexed CONCURRENTLY: the build holds SHARE on the table and its partitions, so writes wait until it ends.'
              }`,
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
      locks: { 'public.order_line': 'SHARE UPDATE EXCLUSIVE' },
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
      name: 'a partial index WHERE the key IS NOT NULL serves the check, which looks up key = $1',
      sql: `CREATE TABLE public.person (id int PRIMARY KEY);
            CREATE TABLE public.post (id int PRIMARY KEY, approver_id int REFERENCES public.person, editor_id int REFERENCES public.person);
            CREATE INDEX ON public.post (approver_id) WHERE (approver_id IS NOT NULL);
            CREATE INDEX ON public.post (editor_id, id) WHERE editor_id IS NOT NULL AND id IS NOT NULL;`,
      expect: [
        {
          object: 'public.post',
          evidence: {
            constraint: 'post_editor_id_fkey',
            columns: ['editor_id'],
            references: { table: 'public.person', columns: ['id'] },
            rows: null,
          },
        },
      ],
    },
    {
      name: 'a partitioned table whose every partition has an index on the key is indexed',
      sql: `CREATE TABLE public.artist (id int PRIMARY KEY);
            CREATE TABLE public.credit (artist int NOT NULL REFERENCES public.artist, track boolean NOT NULL) PARTITION BY LIST (track);
            CREATE TABLE public.credit_track PARTITION OF public.credit FOR VALUES IN (true);
            CREATE TABLE public.credit_release PARTITION OF public.credit FOR VALUES IN (false);
            CREATE INDEX ON public.credit_track (artist);
            CREATE INDEX ON public.credit_release (artist);
            CREATE TABLE public.tour (artist int REFERENCES public.artist, year int NOT NULL) PARTITION BY RANGE (year);
            CREATE TABLE public.tour_2025 PARTITION OF public.tour FOR VALUES FROM (2025) TO (2026);
            CREATE TABLE public.tour_2026 PARTITION OF public.tour FOR VALUES FROM (2026) TO (2027);
            CREATE INDEX ON public.tour_2025 (artist);`,
      expect: [{ object: 'public.tour', fix: 'CREATE INDEX tour_artist_idx ON public.tour (artist);' }],
      fixResolves: true,
      locks: { 'public.tour': 'SHARE', 'public.tour_2025': 'SHARE', 'public.tour_2026': 'SHARE' },
    },
    {
      name: "a tenant key is served by an index leading with the parent's own id, not by one leading with the tenant",
      sql: `CREATE TABLE public.ticket (account_id int, id int PRIMARY KEY, UNIQUE (account_id, id));
            CREATE TABLE public.ticket_tag (account_id int, ticket_id int, tag text, PRIMARY KEY (ticket_id, tag), FOREIGN KEY (account_id, ticket_id) REFERENCES public.ticket (account_id, id));
            CREATE TABLE public.note (account_id int, ticket_id int, FOREIGN KEY (account_id, ticket_id) REFERENCES public.ticket (account_id, id));
            CREATE INDEX ON public.note (account_id);`,
      expect: [
        {
          object: 'public.note',
          fix: 'CREATE INDEX CONCURRENTLY note_account_id_ticket_id_idx ON public.note (account_id, ticket_id);',
        },
      ],
      fixResolves: true,
      locks: { 'public.note': 'SHARE UPDATE EXCLUSIVE' },
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
