import type { Index, Table } from '../../../postgres/introspection';
import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownTables, type FindingKind } from './kind';

/** A unique, total, column-only btree index can become the primary key without a new column. */
function candidateKey(table: Table): Index | undefined {
  return table.indexes.find(
    (i) =>
      i.unique &&
      i.valid &&
      i.method === 'btree' &&
      !i.predicate &&
      i.include.length === 0 &&
      i.keyIsColumn.every(Boolean) &&
      table.kind === 'table',
  );
}

/** `id`, unless the table already has a column of that name. */
function newKeyName(table: Table): string {
  return table.columns.some((c) => c.name === 'id') ? identifierFrom(table.name, 'id') : 'id';
}

export const noPrimaryKey: FindingKind = {
  id: 'SW-A-NO-PK',
  severity: 'warning',
  explanation:
    'A table without a primary key. Rows cannot be addressed one by one, duplicates creep in, and logical replication cannot replicate its UPDATEs and DELETEs.',
  remedy:
    'Add a primary key on the columns that already identify a row, or on a new identity column; on a large table ' +
    'build the unique index CONCURRENTLY first and add the key USING INDEX.',
  find(context) {
    return ownTables(context.catalog)
      .filter((t) => !t.constraints.some((c) => c.kind === 'primary key'))
      .map((t) => {
        const name = qualified(t.schema, t.name);
        const candidate = candidateKey(t);
        return analysisFinding(noPrimaryKey, {
          object: `${t.schema}.${t.name}`,
          message: candidate
            ? `${t.schema}.${t.name} has no primary key; its unique index ${candidate.name} can become one`
            : `${t.schema}.${t.name} has no primary key`,
          why: 'Without a key, rows cannot be updated or deleted one by one, duplicates go unnoticed, and logical replication rejects UPDATE and DELETE.',
          fix: candidate
            ? `ALTER TABLE ${name} ADD CONSTRAINT ${quoteIdent(candidate.name)} PRIMARY KEY USING INDEX ${quoteIdent(candidate.name)};`
            : `ALTER TABLE ${name} ADD COLUMN ${quoteIdent(newKeyName(t))} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;`,
          evidence: { rows: t.stats.rowEstimate, candidateIndex: candidate?.name ?? null },
        });
      });
  },
  examples: [
    {
      name: 'a log table with no key gets an identity column',
      sql: 'CREATE TABLE public.event_log (happened_at timestamptz, body text);',
      expect: [
        {
          object: 'public.event_log',
          fix: 'ALTER TABLE public.event_log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;',
        },
      ],
      fixResolves: true,
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.event_log'],
    },
    {
      name: 'a table whose nullable id column cannot be the key gets a new one beside it',
      sql: 'CREATE TABLE public.import_row (id text, line int);',
      expect: [
        {
          object: 'public.import_row',
          fix: 'ALTER TABLE public.import_row ADD COLUMN import_row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;',
        },
      ],
      fixResolves: true,
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.import_row'],
    },
    {
      name: 'a unique index becomes the primary key',
      sql: 'CREATE TABLE public.country (code text NOT NULL, name text); CREATE UNIQUE INDEX country_code ON public.country (code);',
      expect: [
        {
          object: 'public.country',
          fix: 'ALTER TABLE public.country ADD CONSTRAINT country_code PRIMARY KEY USING INDEX country_code;',
        },
      ],
      fixResolves: true,
    },
    {
      name: 'partitions follow their parent, which is reported once',
      sql: `CREATE TABLE public.reading (at date NOT NULL, value int) PARTITION BY RANGE (at);
            CREATE TABLE public.reading_2026 PARTITION OF public.reading FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE TABLE public.keyed (id int PRIMARY KEY);`,
      expect: [{ object: 'public.reading' }],
    },
  ],
};
