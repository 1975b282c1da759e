import type { Column, Table } from '../../../postgres/introspection';
import { qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownColumns, type FindingKind } from './kind';

const isTimestampWithoutZone = (column: Column) =>
  column.baseType.startsWith('timestamp') && column.baseType.includes('without time zone');

/**
 * One ALTER for all of a table's timestamp columns, so the table is changed once. From PostgreSQL 12,
 * timestamp to timestamptz with the session's zone UTC is a relabel, not a table rewrite (indexes on
 * the columns are still rebuilt, measured in the example): the stored values
 * are already the UTC instants the new type stores, so no USING is needed (a USING expression forces
 * the rewrite). SET LOCAL keeps the zone to the migration's transaction. Before 12 the change rewrites
 * the table whatever is written, and the USING says which zone the readings are in.
 */
function tableFix(table: Table, serverVersionNum: number): string {
  const columns = table.columns.filter(isTimestampWithoutZone).map((c) => quoteIdent(c.name));
  const relabel = serverVersionNum >= 120000;
  const alters = columns.map(
    (c) => `ALTER COLUMN ${c} TYPE timestamptz${relabel ? '' : ` USING ${c} AT TIME ZONE 'UTC'`}`,
  );
  return `${relabel ? "SET LOCAL timezone = 'UTC';\n" : ''}ALTER TABLE ${qualified(table.schema, table.name)} ${alters.join(', ')};`;
}

export const timestampWithoutTimeZone: FindingKind = {
  id: 'SW-A-TIMESTAMP-NO-TZ',
  severity: 'warning',
  explanation:
    '`timestamp` (without time zone) stores a wall-clock reading with no zone. The same instant written from two zones, or across a daylight-saving change, reads back wrong; `timestamptz` stores the instant.',
  remedy:
    "Change the table's timestamp columns to timestamptz in one ALTER TABLE, with the session's time zone set to the zone the readings were written in. " +
    'From PostgreSQL 12, with that zone UTC and no USING clause, the change relabels the columns without rewriting the table, though indexes on them are rebuilt under its ACCESS EXCLUSIVE lock; ' +
    'before 12, or in another zone, it rewrites the table, so plan it like one.',
  find(context) {
    return ownColumns(context.catalog)
      .filter(({ column }) => isTimestampWithoutZone(column))
      .map(({ table, column }) =>
        analysisFinding(timestampWithoutTimeZone, {
          object: `${table.schema}.${table.name}.${column.name}`,
          message: `${table.schema}.${table.name}.${column.name} is ${column.type}`,
          why: 'A timestamp without time zone means whatever zone the writer assumed; comparisons and arithmetic across zones and DST changes go wrong silently.',
          // UTC is the zone the existing values are taken to be in: the usual answer, check it.
          fix: tableFix(table, context.catalog.meta.serverVersionNum),
          evidence: { type: column.type, rows: table.stats.rowEstimate },
        }),
      );
  },
  examples: [
    {
      name: 'two timestamps without time zone, changed by one ALTER that does not rewrite the table (its index is rebuilt)',
      sql: `CREATE TABLE public.comment (id int PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), edited_at timestamp, seen_at timestamptz, shown_on date);
            CREATE INDEX ON public.comment (created_at);`,
      expect: [
        {
          object: 'public.comment.created_at',
          message: 'public.comment.created_at is timestamp without time zone',
          fix: `SET LOCAL timezone = 'UTC';\nALTER TABLE public.comment ALTER COLUMN created_at TYPE timestamptz, ALTER COLUMN edited_at TYPE timestamptz;`,
        },
        { object: 'public.comment.edited_at' },
      ],
      fixResolves: true,
      locks: { 'public.comment': 'ACCESS EXCLUSIVE' },
      // Measured: the table keeps its storage (no rewrite); the index on created_at is rebuilt.
      rewrites: ['public.comment_created_at_idx'],
    },
  ],
};
