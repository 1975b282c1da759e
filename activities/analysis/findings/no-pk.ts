import type { Index, Table } from '../../../postgres/introspection';
import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownTables, type FindingKind } from './kind';

/** A unique, total, column-only btree index: its columns already identify a row, so no new column (and no rewrite) is needed. */
function candidateKey(table: Table): Index | undefined {
  return table.indexes.find(
    (i) =>
      i.unique &&
      i.valid &&
      i.method === 'btree' &&
      !i.predicate &&
      i.include.length === 0 &&
      i.keyIsColumn.every(Boolean),
  );
}

/**
 * The columns of a partitioned table's key as pg_get_partkeydef prints them (`at`, `site, at`), quoted
 * as SQL; undefined when a part is an expression or carries an operator class or collation, which no
 * primary key can include.
 */
function partitionKeyColumns(table: Table): string[] | undefined {
  if (!table.partitioning) return undefined;
  const parts = table.partitioning.key.split(/,\s*/);
  const plain = /^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$/;
  return parts.every((part) => plain.test(part)) ? parts : undefined;
}

/**
 * The SQL that gives the table a primary key, preferring the columns that already identify a row
 * (no rewrite) to a new identity column (a rewrite of every row):
 * - a plain table with a bare unique index takes it as the key (USING INDEX, no build);
 * - one whose unique index backs a UNIQUE constraint builds a twin CONCURRENTLY, since USING INDEX
 *   refuses an index a constraint owns;
 * - a partitioned table (USING INDEX is refused there) adds the key on its unique index's columns,
 *   which PostgreSQL already made include the partition key;
 * - otherwise a new identity column, with the partition key beside it on a partitioned table, since
 *   PostgreSQL refuses a partitioned table's primary key that lacks it. An expression partition key
 *   cannot be in a key at all: no fix, said so.
 */
function keyFix(t: Table, candidate: Index | undefined): string | undefined {
  const name = qualified(t.schema, t.name);
  const partitioned = t.kind === 'partitioned';
  if (candidate && partitioned) return `ALTER TABLE ${name} ADD PRIMARY KEY (${candidate.keys.join(', ')});`;
  if (candidate && candidate.constraint) {
    const pkey = quoteIdent(identifierFrom(t.name, 'pkey'));
    return `CREATE UNIQUE INDEX CONCURRENTLY ${pkey} ON ${name} (${candidate.keys.join(', ')});\nALTER TABLE ${name} ADD CONSTRAINT ${pkey} PRIMARY KEY USING INDEX ${pkey};`;
  }
  if (candidate)
    return `ALTER TABLE ${name} ADD CONSTRAINT ${quoteIdent(candidate.name)} PRIMARY KEY USING INDEX ${quoteIdent(candidate.name)};`;
  const id = quoteIdent(newKeyName(t));
  if (!partitioned) return `ALTER TABLE ${name} ADD COLUMN ${id} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;`;
  const partitionKey = partitionKeyColumns(t);
  if (!partitionKey) return undefined;
  return `ALTER TABLE ${name} ADD COLUMN ${id} bigint GENERATED ALWAYS AS IDENTITY, ADD PRIMARY KEY (${[id, ...partitionKey].join(', ')});`;
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
        const candidate = candidateKey(t);
        const fix = keyFix(t, candidate);
        return analysisFinding(noPrimaryKey, {
          object: `${t.schema}.${t.name}`,
          message: candidate
            ? `${t.schema}.${t.name} has no primary key; the columns of its unique index ${candidate.name} can become one`
            : fix
              ? `${t.schema}.${t.name} has no primary key`
              : `${t.schema}.${t.name} has no primary key, and its partition key (${t.partitioning?.key}) holds an expression, which no primary key can include`,
          why: 'Without a key, rows cannot be updated or deleted one by one, duplicates go unnoticed, and logical replication rejects UPDATE and DELETE.',
          ...(fix ? { fix } : {}),
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
      locks: { 'public.event_log': 'ACCESS EXCLUSIVE' },
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
      locks: { 'public.import_row': 'ACCESS EXCLUSIVE' },
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
      locks: { 'public.country': 'ACCESS EXCLUSIVE' },
    },
    {
      name: 'a UNIQUE constraint, whose index USING INDEX refuses, gets a twin built concurrently',
      sql: 'CREATE TABLE public.currency (code text NOT NULL UNIQUE, name text);',
      expect: [
        {
          object: 'public.currency',
          fix: 'CREATE UNIQUE INDEX CONCURRENTLY currency_pkey ON public.currency (code);\nALTER TABLE public.currency ADD CONSTRAINT currency_pkey PRIMARY KEY USING INDEX currency_pkey;',
        },
      ],
      fixResolves: true,
      locks: { 'public.currency': 'ACCESS EXCLUSIVE' },
    },
    {
      name: 'partitions follow their parent, whose new key includes the partition key',
      sql: `CREATE TABLE public.reading (at date NOT NULL, value int) PARTITION BY RANGE (at);
            CREATE TABLE public.reading_2026 PARTITION OF public.reading FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE TABLE public.keyed (id int PRIMARY KEY);`,
      expect: [
        {
          object: 'public.reading',
          fix: 'ALTER TABLE public.reading ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY, ADD PRIMARY KEY (id, at);',
        },
      ],
      fixResolves: true,
      locks: { 'public.reading': 'ACCESS EXCLUSIVE', 'public.reading_2026': 'ACCESS EXCLUSIVE' },
      // Measured: the new identity column fills every row of each partition.
      rewrites: ['public.reading_2026'],
    },
    {
      name: "a partitioned table's unique index becomes its key without a new column",
      sql: `CREATE TABLE public.visit (site int NOT NULL, at date NOT NULL, hits int) PARTITION BY RANGE (at);
            CREATE TABLE public.visit_2026 PARTITION OF public.visit FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE UNIQUE INDEX visit_site_at ON public.visit (site, at);`,
      expect: [{ object: 'public.visit', fix: 'ALTER TABLE public.visit ADD PRIMARY KEY (site, at);' }],
      fixResolves: true,
      locks: { 'public.visit': 'ACCESS EXCLUSIVE', 'public.visit_2026': 'ACCESS EXCLUSIVE' },
    },
    {
      name: 'a table partitioned by an expression has no key to offer',
      sql: 'CREATE TABLE public.hit (path text NOT NULL) PARTITION BY LIST (lower(path));',
      expect: [
        {
          object: 'public.hit',
          message:
            'public.hit has no primary key, and its partition key (lower(path)) holds an expression, which no primary key can include',
        },
      ],
    },
  ],
};
