import { qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownColumns, type FindingKind } from './kind';

export const jsonColumn: FindingKind = {
  id: 'SW-A-JSON',
  severity: 'warning',
  explanation:
    '`json` stores the text as written and parses it again on every access; it has no equality operator and no GIN index support. `jsonb` is parsed once, indexable and comparable. Keep `json` only when key order or duplicate keys must survive.',
  remedy: 'Change the column to jsonb (USING col::jsonb), unless key order or duplicate keys must be kept.',
  find(context) {
    return ownColumns(context.catalog)
      .filter(({ column }) => column.baseType === 'json' || column.baseType === 'json[]')
      .map(({ table, column }) =>
        analysisFinding(jsonColumn, {
          object: `${table.schema}.${table.name}.${column.name}`,
          message: `${table.schema}.${table.name}.${column.name} is ${column.type}, not jsonb`,
          why: 'json is re-parsed on every read and cannot be indexed with GIN or compared; jsonb can.',
          fix: `ALTER TABLE ${qualified(table.schema, table.name)} ALTER COLUMN ${quoteIdent(column.name)} TYPE ${column.baseType === 'json' ? 'jsonb' : 'jsonb[]'} USING ${quoteIdent(column.name)}::${column.baseType === 'json' ? 'jsonb' : 'jsonb[]'};`,
          evidence: { type: column.type, rows: table.stats.rowEstimate },
        }),
      );
  },
  examples: [
    {
      name: 'a json payload beside a jsonb one',
      sql: 'CREATE TABLE public.webhook (id int PRIMARY KEY, payload json, headers jsonb);',
      expect: [
        {
          object: 'public.webhook.payload',
          fix: 'ALTER TABLE public.webhook ALTER COLUMN payload TYPE jsonb USING payload::jsonb;',
        },
      ],
      fixResolves: true,
      locks: { 'public.webhook': 'ACCESS EXCLUSIVE' },
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.webhook', 'public.webhook_pkey'],
    },
  ],
};
