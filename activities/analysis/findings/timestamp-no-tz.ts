import { qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownColumns, type FindingKind } from './kind';

export const timestampWithoutTimeZone: FindingKind = {
  id: 'SW-A-TIMESTAMP-NO-TZ',
  severity: 'warning',
  explanation:
    '`timestamp` (without time zone) stores a wall-clock reading with no zone. The same instant written from two zones, or across a daylight-saving change, reads back wrong; `timestamptz` stores the instant.',
  remedy:
    "Change the column to timestamptz, saying which zone the stored readings are in (USING col AT TIME ZONE 'UTC'); " +
    'the change rewrites the table, so plan it like one.',
  find(context) {
    return ownColumns(context.catalog)
      .filter(({ column }) => column.baseType.startsWith('timestamp') && column.baseType.includes('without time zone'))
      .map(({ table, column }) =>
        analysisFinding(timestampWithoutTimeZone, {
          object: `${table.schema}.${table.name}.${column.name}`,
          message: `${table.schema}.${table.name}.${column.name} is ${column.type}`,
          why: 'A timestamp without time zone means whatever zone the writer assumed; comparisons and arithmetic across zones and DST changes go wrong silently.',
          // The USING clause states the zone the existing values were written in; UTC is the usual answer, check it.
          fix: `ALTER TABLE ${qualified(table.schema, table.name)} ALTER COLUMN ${quoteIdent(column.name)} TYPE timestamptz USING ${quoteIdent(column.name)} AT TIME ZONE 'UTC';`,
          evidence: { type: column.type, rows: table.stats.rowEstimate },
        }),
      );
  },
  examples: [
    {
      name: 'a created_at without time zone',
      sql: 'CREATE TABLE public.comment (id int PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now(), edited_at timestamptz, shown_on date);',
      expect: [
        {
          object: 'public.comment.created_at',
          message: 'public.comment.created_at is timestamp without time zone',
          fix: `ALTER TABLE public.comment ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';`,
        },
      ],
      fixResolves: true,
    },
  ],
};
