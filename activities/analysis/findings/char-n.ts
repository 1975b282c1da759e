import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, ownColumns, type FindingKind } from './kind';

const BOUNDED = /^(character|character varying)\((\d+)\)$/;

export const boundedCharacter: FindingKind = {
  id: 'SW-A-CHAR-N',
  severity: 'info',
  explanation:
    '`char(n)` pads with spaces that comparisons then ignore, and is no faster than text. `varchar(n)` puts a business rule into the type, where changing it needs an ALTER TYPE. `text` with a CHECK on the length keeps the rule and lets it change with a constraint swap.',
  remedy:
    'Use text with a CHECK (char_length(col) <= n) constraint; from char(n), trim the padding with USING ' +
    'rtrim(col).',
  find(context) {
    return ownColumns(context.catalog).flatMap(({ table, column }) => {
      const match = BOUNDED.exec(column.baseType);
      if (!match) return [];
      const [, kind, length] = match;
      const [tableName, col] = [qualified(table.schema, table.name), quoteIdent(column.name)];
      const constraint = quoteIdent(identifierFrom(table.name, column.name, 'length'));
      return [
        analysisFinding(boundedCharacter, {
          severity: kind === 'character' ? 'warning' : 'info',
          object: `${table.schema}.${table.name}.${column.name}`,
          message: `${table.schema}.${table.name}.${column.name} is ${column.type}`,
          why:
            kind === 'character'
              ? 'char(n) pads values with spaces, which comparisons ignore and clients do not; it is stored no more compactly than text.'
              : 'The length limit lives in the type; changing it later is an ALTER TYPE, while a CHECK constraint on text can be swapped without a rewrite.',
          // varchar(n) to text is binary compatible (no rewrite); char(n) to text rewrites and trims the padding.
          fix: `ALTER TABLE ${tableName} ALTER COLUMN ${col} TYPE text${kind === 'character' ? ` USING rtrim(${col})` : ''}, ADD CONSTRAINT ${constraint} CHECK (char_length(${col}) <= ${length});`,
          evidence: { type: column.type, length: Number(length) },
        }),
      ];
    });
  },
  examples: [
    {
      name: 'a char(2) code and a varchar(80) name',
      sql: 'CREATE TABLE public.region (id int PRIMARY KEY, code char(2), name varchar(80), note varchar);',
      expect: [
        {
          object: 'public.region.code',
          severity: 'warning',
          fix: 'ALTER TABLE public.region ALTER COLUMN code TYPE text USING rtrim(code), ADD CONSTRAINT region_code_length CHECK (char_length(code) <= 2);',
        },
        {
          object: 'public.region.name',
          severity: 'info',
          fix: 'ALTER TABLE public.region ALTER COLUMN name TYPE text, ADD CONSTRAINT region_name_length CHECK (char_length(name) <= 80);',
        },
      ],
      fixResolves: true,
      locks: { 'public.region': 'ACCESS EXCLUSIVE' },
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.region', 'public.region_pkey'],
    },
  ],
};
